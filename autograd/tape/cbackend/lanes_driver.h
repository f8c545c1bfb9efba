/* valuegrad: samples in lanes, the driver (pasted after lanes_defer.h; see lanes.h why no bit
 * changes): a block's forward and backward passes, the two threads, and vg_batch_lanes, the entry
 * point of a batch. */


/* The forward pass of the block of samples b0, b0 + 1, ...: its losses and extras, and whether each
 * lane's numbers are small enough for backward to skip its finiteness tests. */
static void vgl_forward_block(vgl_batch *bt, vg_lanes *c, int64_t b0) {
    const int live = bt->count - b0 < VG_LANES ? (int)(bt->count - b0) : VG_LANES;
    double *V = c->V;
    c->live = live;
    c->sl = b0 % VGL_CHUNK; /* chunks start at multiples of VGL_CHUNK */
    /* an empty lane computes a copy of the last sample, and pushes nothing */
    for (int l = 0; l < VG_LANES; l++) {
        const double *x = bt->X + (b0 + (l < live ? l : live - 1)) * VG_N_INPUTS;
        for (int32_t i = 0; i < VG_N_INPUTS; i++) V[(int64_t)i * VG_LANES + l] = x[i];
    }
    vgl_forward(c);
    for (int l = 0; l < live; l++) {
        bt->losses[b0 + l] = VG_LX(c, VG_OUTPUT, l);
        for (int32_t e = 0; e < VG_N_EXTRAS; e++) bt->extras[(b0 + l) * VG_N_EXTRAS + e] = VG_LX(c, vg_extras[e], l);
    }
    if (!bt->backward || !VG_BACKWARD) return;
    /* a lane is bounded when every |x| < limit: vector compares, a nan fails them (not <) */
    const vg_vd limit = (vg_vd){0} + 1e300 / VG_LONGEST;
    const vg_vm magnitude = (vg_vm){0} + INT64_MAX;
    vg_vm bad[VGL_VECS];
    for (int h = 0; h < VGL_VECS; h++) bad[h] = (vg_vm){0};
    for (int part = 0; part < 2; part++) {
        const double *x = part ? c->D : V;
        const int64_t count = part ? VG_N_PARTIALS : VG_N_LANED;
        for (int64_t p = 0; p < count; p++)
            for (int h = 0; h < VGL_VECS; h++) {
                vg_vm bits;
                vg_vd a = vg_vload(x + p * VG_LANES + h * VG_VEC);
                memcpy(&bits, &a, sizeof bits);
                bits &= magnitude;
                memcpy(&a, &bits, sizeof a);
                bad[h] |= ~(a < limit);
            }
    }
    for (int l = 0; l < VG_LANES; l++) c->finite[l] = bt->params_bounded && !bad[l / VG_VEC][l % VG_VEC];
}

/* The backward pass of the block in c: its pushes into the parameters' gradients, lane after lane
 * (or, for the deferred clusters, into the chunk's store). */
static void vgl_backward_block(vgl_batch *bt, vg_lanes *c) {
    double *GL = c->GL;
    memset(GL + VG_LANED(VG_FIRST_NODE), 0, sizeof(double) * VG_LANES * (VG_N_VALUES - VG_FIRST_NODE));
    if (VG_OUTPUT_IS_LEAF) {
        double x[VG_LANES];
        for (int l = 0; l < VG_LANES; l++) x[l] = l < c->live ? bt->seed : -0.0;
        vgl_push(c, VG_OUTPUT, x);
    } else {
        for (int l = 0; l < VG_LANES; l++) GL[VG_LANED(VG_OUTPUT) + l] = l < c->live ? bt->seed : 0.0;
    }
    vgl_backward(c);
    for (int l = 0; l < c->live; l++) bt->finite[c->sl + l] = (unsigned char)c->finite[l];
}

/* after block i's backward: the deferred pushes of its chunk, when it is the chunk's last block */
static void vgl_block_done(vgl_batch *bt, int64_t i) {
    const int64_t end = (i + 1) * VG_LANES;
    if (!bt->backward || !VG_BACKWARD || !VGL_N_DEFERRED || (end % VGL_CHUNK && end < bt->count)) return;
    const int64_t first = i * VG_LANES / VGL_CHUNK * VGL_CHUNK;
    vgl_reduce(bt, first, (end < bt->count ? end : bt->count) - first, 0, vgl_quads());
}

/* With two threads and some pushes into parameters not deferred, the passes are a pipeline: this
 * thread computes the forward passes of the blocks, up to bt->slots blocks ahead, while the
 * caller's thread computes their backward passes in order. Every block's backward still runs after
 * the one before it, on one thread, so the gradients are added in the same order as with one
 * thread: the threads change when a number is computed, never which number. */
static void *vgl_forward_thread(void *arg) {
    vgl_batch *bt = arg;
    const int64_t blocks = (bt->count + VG_LANES - 1) / VG_LANES;
    for (int64_t i = 0; i < blocks; i++) {
        while (__atomic_load_n(&bt->drained, __ATOMIC_ACQUIRE) < i - bt->slots + 1) sched_yield(); /* a free slot */
        vgl_forward_block(bt, &bt->slot[i % bt->slots], i * VG_LANES);
        __atomic_store_n(&bt->filled, i + 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

/* With every push into a parameter deferred (VGL_ALL_DEFERRED), the blocks of a chunk share no
 * number: each writes its own slot, its own samples' part of the store, its own losses. The work
 * of a batch is then a list of tasks, chunk after chunk: the chunk's blocks (forward and backward),
 * then its quads of rows (vgl_reduce). Each thread takes the next task (an atomic counter), waits
 * until the tasks it depends on are done (a block: every task of the chunks before, whose sums read
 * the store it will write; a quad: every block of its chunk) and does it. Which thread does a task
 * changes when a number is computed, never which number nor the order of the additions into a
 * gradient (vgl_reduce adds a chunk's samples in order, whoever computed them): the same bits as
 * one thread. A thread that never comes leaves every task to the other. */
static void vgl_work(vgl_batch *bt, vg_lanes *c) {
    const int64_t per_block = VGL_CHUNK / VG_LANES;
    const int64_t quads = bt->backward && VG_BACKWARD ? bt->quads : 0;
    const int64_t per_chunk = per_block + quads; /* tasks of a whole chunk */
    const int64_t chunks = (bt->count + VGL_CHUNK - 1) / VGL_CHUNK;
    const int64_t last = (bt->count - (chunks - 1) * VGL_CHUNK + VG_LANES - 1) / VG_LANES; /* blocks of the last chunk */
    const int64_t tasks = (chunks - 1) * per_chunk + last + quads;
    for (;;) {
        const int64_t t = __atomic_fetch_add(&bt->next, 1, __ATOMIC_ACQ_REL);
        if (t >= tasks) return;
        const int64_t chunk = t / per_chunk, o = t % per_chunk;
        const int64_t first = chunk * VGL_CHUNK;
        const int64_t blocks = chunk == chunks - 1 ? last : per_block;
        const int64_t after = chunk * per_chunk + (o < blocks ? 0 : blocks); /* the tasks before it must be done */
        while (__atomic_load_n(&bt->done, __ATOMIC_ACQUIRE) < after) sched_yield();
        if (o < blocks) {
            vgl_forward_block(bt, c, first + o * VG_LANES);
            if (bt->backward && VG_BACKWARD) vgl_backward_block(bt, c);
        } else {
            const int64_t m = bt->count - first < VGL_CHUNK ? bt->count - first : VGL_CHUNK;
            vgl_reduce(bt, first, m, o - blocks, o - blocks + 1);
        }
        __atomic_fetch_add(&bt->done, 1, __ATOMIC_ACQ_REL);
    }
}

/* The second thread is started once and kept: a batch of 32 samples is a few hundred microseconds
 * of work, and starting a thread for each cost more than it saved. Between batches it spins a
 * little (a training loop calls again soon), then sleeps until the next batch. A batch offers
 * itself (state = 2 * generation); the worker joins it (state + 1) unless the batch closed first
 * (-1: its caller did every task); the caller waits for a worker that joined. One batch at a time
 * may use the worker (`busy`); a batch that finds it busy runs on one thread. A child process
 * after a fork has no such thread: it starts from a fresh pool (vgl_pool_in_child), and its first
 * batch on two threads starts a worker of its own. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    vgl_batch *job;     /* the batch offered (under lock) */
    int64_t generation; /* batches offered so far (atomic) */
    int64_t state;      /* 2 * generation: the batch is open to the worker; + 1: joined; -1: closed (atomic) */
    int busy;           /* a batch holds the worker (atomic) */
    pid_t pid;          /* the process that started it (0: none yet) */
} vgl_pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, -1, 0, 0};

/* For tests: the caller waits for the worker to join each batch before taking a task, so that both
 * threads surely take some (else a small batch is often done before the worker wakes). */
static int vgl_wait_for_worker = 0;
VG_EXPORT void vg_lanes_wait_for_worker(int on) { __atomic_store_n(&vgl_wait_for_worker, on, __ATOMIC_RELAXED); }

/* For tests: hold the pool's lock as the worker does for a few instructions around its wait, so
 * that a test can fork at that instant (see vgl_pool_in_child). */
VG_EXPORT void vg_lanes_hold_pool(int on) {
    if (on)
        pthread_mutex_lock(&vgl_pool.lock);
    else
        pthread_mutex_unlock(&vgl_pool.lock);
}

/* In a child process after a fork: no worker (only the forking thread is copied), and the pool's
 * lock may have been held at that instant by the parent's worker, which will never release it
 * here. The child starts from a fresh pool: its first batch on two threads starts a worker. */
static void vgl_pool_in_child(void) {
    pthread_mutex_init(&vgl_pool.lock, NULL);
    pthread_cond_init(&vgl_pool.wake, NULL);
    vgl_pool.job = NULL;
    vgl_pool.state = -1;
    vgl_pool.busy = 0;
    vgl_pool.pid = 0;
}

#define VGL_SPIN 200000 /* reads of the generation before the worker sleeps (some tens of microseconds) */

static void *vgl_pool_thread(void *arg) {
    int64_t seen = (int64_t)(intptr_t)arg;
    for (;;) {
        int64_t now = __atomic_load_n(&vgl_pool.generation, __ATOMIC_ACQUIRE);
        for (int i = 0; i < VGL_SPIN && now == seen; i++) now = __atomic_load_n(&vgl_pool.generation, __ATOMIC_ACQUIRE);
        pthread_mutex_lock(&vgl_pool.lock);
        while ((now = vgl_pool.generation) == seen) pthread_cond_wait(&vgl_pool.wake, &vgl_pool.lock);
        vgl_batch *bt = vgl_pool.job;
        pthread_mutex_unlock(&vgl_pool.lock);
        seen = now;
        int64_t open = 2 * now;
        if (__atomic_compare_exchange_n(&vgl_pool.state, &open, 2 * now + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            vgl_work(bt, &bt->slot[1]);
            __atomic_store_n(&bt->helped, 1, __ATOMIC_RELEASE);
        }
    }
    return NULL;
}

/* Run bt on this thread and the worker; 0 when the worker cannot be had (then nothing ran). */
static int vgl_pool_run(vgl_batch *bt) {
    if (__atomic_exchange_n(&vgl_pool.busy, 1, __ATOMIC_ACQUIRE)) return 0;
    const pid_t me = getpid();
    static int forks_handled = 0; /* a child keeps its parent's handler, and this flag with it */
    if (!forks_handled && pthread_atfork(NULL, NULL, vgl_pool_in_child) == 0) forks_handled = 1;
    if (vgl_pool.pid != me) {
        pthread_t worker;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        const int64_t seen = __atomic_load_n(&vgl_pool.generation, __ATOMIC_ACQUIRE);
        const int failed = pthread_create(&worker, &attr, vgl_pool_thread, (void *)(intptr_t)seen);
        pthread_attr_destroy(&attr);
        if (failed) {
            __atomic_store_n(&vgl_pool.busy, 0, __ATOMIC_RELEASE);
            return 0;
        }
        vgl_pool.pid = me;
    }
    pthread_mutex_lock(&vgl_pool.lock);
    const int64_t now = vgl_pool.generation + 1;
    __atomic_store_n(&vgl_pool.state, 2 * now, __ATOMIC_RELEASE);
    vgl_pool.job = bt;
    __atomic_store_n(&vgl_pool.generation, now, __ATOMIC_RELEASE);
    pthread_cond_signal(&vgl_pool.wake);
    pthread_mutex_unlock(&vgl_pool.lock);
    if (__atomic_load_n(&vgl_wait_for_worker, __ATOMIC_RELAXED))
        while (__atomic_load_n(&vgl_pool.state, __ATOMIC_ACQUIRE) == 2 * now) sched_yield();
    vgl_work(bt, &bt->slot[0]);
    int64_t open = 2 * now;
    if (!__atomic_compare_exchange_n(&vgl_pool.state, &open, -1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        while (!__atomic_load_n(&bt->helped, __ATOMIC_ACQUIRE)) sched_yield(); /* it joined: wait for it */
    __atomic_store_n(&vgl_pool.busy, 0, __ATOMIC_RELEASE);
    return 1;
}

/* vg_batch, VG_LANES samples at a time: the same losses, extras and gradients, to the bit. v and g
 * are the tape's scalar arrays (the parameters' numbers and gradients); `buffers` holds the store
 * of the deferred pushes (vg_lanes_store() numbers), then `slots` slots of vg_lanes_buffer(scratch)
 * numbers each: a block's V, D, GL and S. threads: 1, or 2 (with 2 slots or more). */
VG_EXPORT int vg_batch_lanes(const double *v, double *g, double *buffers, int64_t slots, int64_t scratch,
                             const double *X, int64_t count, int backward, double seed, double *losses,
                             double *extras, int threads) {
    static vgl_batch zero;
    vgl_batch bt = zero;
    bt.X = X;
    bt.count = count;
    bt.backward = backward;
    bt.seed = seed;
    bt.losses = losses;
    bt.extras = extras;
    bt.G = g;
    bt.store = buffers;
    bt.flags = (unsigned char *)(buffers + (int64_t)VGL_CHUNK * VGL_STORE_DOUBLES);
    /* one pass over the parameters and constants, without early exits (so the compiler vectorises
     * it): are their numbers bounded? */
    const double limit = 1e300 / VG_LONGEST;
    int64_t unbounded = 0;
    for (int64_t i = VG_FIRST_PARAM; i < VG_FIRST_NODE; i++) unbounded |= !(fabs(v[i]) < limit);
    bt.params_bounded = !unbounded;
    bt.quads = vgl_quads();
    bt.slots = (int)(slots < 1 ? 1 : slots > VGL_MAX_SLOTS ? VGL_MAX_SLOTS : slots);
    for (int k = 0; k < bt.slots; k++) {
        vg_lanes *c = &bt.slot[k];
        c->v = v;
        c->G = g;
        c->V = buffers + vg_lanes_store() + k * vg_lanes_buffer(scratch);
        c->D = c->V + (int64_t)VG_LANES * VG_N_LANED;
        c->GL = c->D + (int64_t)VG_LANES * VG_N_PARTIALS;
        c->S = c->GL + (int64_t)VG_LANES * VG_N_LANED;
        c->store = bt.store;
        c->flags = bt.flags;
    }
    const int64_t blocks = (count + VG_LANES - 1) / VG_LANES;
    pthread_t worker;
    if (threads >= 2 && bt.slots >= 2 && blocks >= 2) {
        if (VGL_ALL_DEFERRED && vgl_pool_run(&bt)) return 0;
        if (!VGL_ALL_DEFERRED && pthread_create(&worker, NULL, vgl_forward_thread, &bt) == 0) {
            for (int64_t i = 0; i < blocks; i++) {
                while (__atomic_load_n(&bt.filled, __ATOMIC_ACQUIRE) < i + 1) sched_yield();
                if (backward && VG_BACKWARD) vgl_backward_block(&bt, &bt.slot[i % bt.slots]);
                vgl_block_done(&bt, i);
                __atomic_store_n(&bt.drained, i + 1, __ATOMIC_RELEASE);
            }
            pthread_join(worker, NULL);
            return 0;
        }
    }
    for (int64_t i = 0; i < blocks; i++) {
        vgl_forward_block(&bt, &bt.slot[0], i * VG_LANES);
        if (backward && VG_BACKWARD) vgl_backward_block(&bt, &bt.slot[0]);
        vgl_block_done(&bt, i);
    }
    return 0;
}
