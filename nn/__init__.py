"""valuegrad's nn: a tiny neural-network library built on autograd's Value."""
