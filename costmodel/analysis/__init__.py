"""What-if analytics on the vectorized engine: what-if, tornado sensitivity, Monte Carlo, break-even, Shapley diff."""
