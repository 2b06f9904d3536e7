//! Ctrl-C and SIGTERM. The first one cancels whatever azlin call or step is running (it is
//! killed), and the workflow then cleans up: temporary files removed, a VM created by this
//! run deleted (or reported with its kill command). A second one during that cleanup gives
//! up at once, naming the VM that may still exist.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;

/// Tells running steps to stop.
#[derive(Debug, Clone)]
pub struct Cancel {
    rx: watch::Receiver<bool>,
    /// The VM to name if the user insists (second signal).
    pending_vm: Arc<Mutex<Option<String>>>,
    /// Keeps the channel open for a `Cancel` nobody can trigger.
    _tx: Option<Arc<watch::Sender<bool>>>,
}

impl Cancel {
    /// A token that never fires (for calls that must not be cut short, such as cleanup).
    pub fn never() -> Cancel {
        let (tx, rx) = watch::channel(false);
        Cancel {
            rx,
            pending_vm: Arc::new(Mutex::new(None)),
            _tx: Some(Arc::new(tx)),
        }
    }

    pub fn is_cancelled(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves when cancelled; never otherwise.
    pub async fn cancelled(&self) {
        let mut rx = self.rx.clone();
        if rx.wait_for(|v| *v).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Names the VM a second signal should report (None: nothing to report).
    pub fn set_pending_vm(&self, vm: Option<&str>) {
        if let Ok(mut g) = self.pending_vm.lock() {
            *g = vm.map(str::to_string);
        }
    }
}

/// Starts listening for Ctrl-C and SIGTERM (inside a tokio runtime).
pub fn listen() -> Cancel {
    let (tx, rx) = watch::channel(false);
    let pending_vm = Arc::new(Mutex::new(None::<String>));
    let pending = Arc::clone(&pending_vm);
    tokio::spawn(async move {
        #[cfg(unix)]
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let mut count = 0;
        loop {
            #[cfg(unix)]
            let got = match term.as_mut() {
                Some(t) => tokio::select! {
                    r = tokio::signal::ctrl_c() => r.is_ok(),
                    r = t.recv() => r.is_some(),
                },
                None => tokio::signal::ctrl_c().await.is_ok(),
            };
            #[cfg(not(unix))]
            let got = tokio::signal::ctrl_c().await.is_ok();
            if !got {
                return;
            }
            count += 1;
            if count == 1 {
                eprintln!("\nInterrupted: stopping and cleaning up (press Ctrl-C again to give up at once)...");
                let _ = tx.send(true);
            } else {
                crate::package::tempdir::remove_registered();
                let vm = pending.lock().ok().and_then(|g| g.clone());
                if let Some(vm) = vm {
                    eprintln!(
                        "Interrupted again: VM {vm} may still exist.\n  delete it: azlin kill {vm} --force"
                    );
                } else {
                    eprintln!("Interrupted again: giving up.");
                }
                std::process::exit(super::error::exit::INTERRUPTED);
            }
        }
    });
    Cancel {
        rx,
        pending_vm,
        _tx: None,
    }
}
