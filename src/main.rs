//! The `dialtone` binary: the admin CLI and the server (`dialtone serve`).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    dialtone::cli::main().await
}
