//! Integration tests: one binary, one module per area. CLI behaviour is checked by running the
//! built `amplihack-remote` binary; git fixtures use the real `git` under a pinned environment.

mod it;
