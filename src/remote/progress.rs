//! The seven reported steps, with elapsed times, and a spinner while waiting on azlin (only
//! when stderr is a terminal). Everything goes to stderr: stdout carries the remote
//! command's own output and the final report.

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use super::clock::human_duration;

pub const STEPS: u8 = 7;

#[derive(Debug)]
pub struct Progress {
    started: Instant,
    step_started: Instant,
    tty: bool,
}

impl Default for Progress {
    fn default() -> Self {
        Progress::new()
    }
}

impl Progress {
    pub fn new() -> Progress {
        Progress {
            started: Instant::now(),
            step_started: Instant::now(),
            tty: std::io::stderr().is_terminal(),
        }
    }

    /// `[n/7] Title`.
    pub fn step(&mut self, n: u8, title: &str) {
        self.step_started = Instant::now();
        eprintln!("[{n}/{STEPS}] {title}");
    }

    /// The end of a step: its duration and the total so far.
    pub fn done(&self, what: &str) {
        eprintln!(
            "      {what} ({}, total {})",
            human_duration(self.step_started.elapsed()),
            human_duration(self.started.elapsed())
        );
    }

    /// An indented note under the current step.
    pub fn note(&self, text: &str) {
        eprintln!("      {text}");
    }

    pub fn warn(&self, text: &str) {
        eprintln!("      warning: {text}");
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Awaits `fut`, drawing a spinner with `label` and the elapsed time meanwhile if stderr
    /// is a terminal.
    pub async fn spin<F: Future>(&self, label: &str, fut: F) -> F::Output {
        if !self.tty {
            return fut.await;
        }
        const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
        let started = Instant::now();
        tokio::pin!(fut);
        let mut tick = tokio::time::interval(Duration::from_millis(120));
        let mut i = 0;
        let out = loop {
            tokio::select! {
                out = &mut fut => break out,
                _ = tick.tick() => {
                    let mut e = std::io::stderr().lock();
                    let _ = write!(e, "\r\x1b[2K      {} {label} {}", FRAMES[i % FRAMES.len()], human_duration(started.elapsed()));
                    let _ = e.flush();
                    i += 1;
                }
            }
        };
        let mut e = std::io::stderr().lock();
        let _ = write!(e, "\r\x1b[2K");
        let _ = e.flush();
        out
    }
}
