// The explorer's line charts (loss, accuracy, a parameter's history), drawn on a canvas.
import { fmt } from "./format.js";

// Where a chart's data goes: the y range (given, or the data's own, widened when flat) and the x range
// (at least one step wide). Null when there is nothing to draw. Pure, unit-tested.
export function chartRange(series, { ymin = null, ymax = null } = {}) {
  const xs = series.flatMap((s) => s.xs), ys = series.flatMap((s) => s.ys.filter((y) => y !== null));
  if (!xs.length || !ys.length) return null;
  let lo = ymin ?? Math.min(...ys), hi = ymax ?? Math.max(...ys);
  if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
  const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
  return { lo, hi, x0, x1 };
}

// A line chart of several series over a shared x: [{xs, ys, colour, dash, label}]; a null y breaks the line.
export function drawChart(c, series, { title = "", ymin = null, ymax = null } = {}) {
  const ctx = c.getContext("2d");
  const W = parseFloat(c.style.width), H = parseFloat(c.style.height);
  const L = 44, R = 8, T = 16, B = 16;
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = "#555";
  ctx.font = "11px sans-serif";
  ctx.fillText(title, L, 11);
  const range = chartRange(series, { ymin, ymax });
  if (!range) return;
  const { lo, hi, x0, x1 } = range;
  const X = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const Y = (y) => T + (1 - (y - lo) / (hi - lo)) * (H - T - B);
  ctx.strokeStyle = "#ccc";
  ctx.lineWidth = 1;
  ctx.strokeRect(L, T, W - L - R, H - T - B);
  ctx.fillText(fmt(hi, 3), 2, T + 8);
  ctx.fillText(fmt(lo, 3), 2, H - B);
  ctx.fillText(`step ${x1}`, W - R - 60, H - 3);
  let legend = L + 4 + ctx.measureText(title).width + 10;
  for (const s of series) {
    ctx.strokeStyle = s.colour;
    ctx.setLineDash(s.dash ? [4, 3] : []);
    ctx.lineWidth = 1.6;
    ctx.beginPath();
    let pen = false;
    s.xs.forEach((x, i) => {
      const y = s.ys[i];
      if (y === null) { pen = false; return; }
      if (pen) ctx.lineTo(X(x), Y(y)); else ctx.moveTo(X(x), Y(y));
      pen = true;
    });
    ctx.stroke();
    if (s.label) {
      ctx.fillStyle = s.colour;
      ctx.fillText(s.label, legend, 11);
      legend += ctx.measureText(s.label).width + 10;
    }
  }
  ctx.setLineDash([]);
}
