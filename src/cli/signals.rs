//! The requests to stop that a command honours: Ctrl-C, and SIGTERM on Unix (what `systemctl
//! stop` and `kill` send) or the console's close and shutdown events on Windows.

/// Waits for a request to stop and names it, for messages and the log.
pub(crate) async fn stop_requested() -> String {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "stopped by Ctrl-C".to_owned(),
                _ = terminate.recv() => "stopped by SIGTERM".to_owned(),
            },
            Err(_) => ctrl_c().await,
        }
    }
    #[cfg(windows)]
    {
        use tokio::signal::windows::{ctrl_close, ctrl_shutdown};
        match (ctrl_close(), ctrl_shutdown()) {
            (Ok(mut close), Ok(mut shutdown)) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "stopped by Ctrl-C".to_owned(),
                _ = close.recv() => "stopped: the console was closed".to_owned(),
                _ = shutdown.recv() => "stopped: the system shuts down".to_owned(),
            },
            _ => ctrl_c().await,
        }
    }
    #[cfg(not(any(unix, windows)))]
    ctrl_c().await
}

/// Ctrl-C alone (the REPL: a terminal's Ctrl-C while a command waits on the PBX).
pub(crate) async fn ctrl_c() -> String {
    match tokio::signal::ctrl_c().await {
        Ok(()) => "stopped by Ctrl-C".to_owned(),
        // No handler could be installed: never fire.
        Err(_) => std::future::pending().await,
    }
}
