//! The `dialtone` binary: the admin CLI and the server (`dialtone serve`).

fn main() -> std::process::ExitCode {
    // Server-side rendering of the larger pages recurses deeply in unoptimised builds; 8 MiB worker
    // stacks (instead of 2) keep debug and test builds from overflowing.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().thread_stack_size(8 << 20).build();
    match runtime {
        Ok(rt) => rt.block_on(dialtone::cli::main()),
        Err(e) => {
            eprintln!("could not start the async runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
