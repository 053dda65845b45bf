//! Benchmarks of auths (not part of the product): the baseline server that `make bench`
//! measures every HTTP figure against, and criterion micro-benchmarks (`benches/`).
