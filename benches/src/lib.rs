//! Benchmark fixtures live in `benches/`.
