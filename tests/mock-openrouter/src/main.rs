//! `mock-openrouter --port N`: the mock as a process, for black-box tests (Python).
//! Prints `listening on http://127.0.0.1:N/api/v1` once ready.

fn main() {
    let mut port = 0u16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => match args.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => {
                    eprintln!("--port needs a number");
                    std::process::exit(2);
                }
            },
            "-h" | "--help" => {
                println!("usage: mock-openrouter [--port N]   (0 or absent = random port)");
                return;
            }
            other => {
                eprintln!("unknown argument {other:?}; try --help");
                std::process::exit(2);
            }
        }
    }
    let (_addr, mock) = match mock_openrouter::start_on(port) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    };
    println!("listening on {}", mock.base_url());
    // Flush so a parent process reading our stdout sees the line now.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    loop {
        std::thread::park();
    }
}
