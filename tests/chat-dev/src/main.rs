//! `sawt-chat-dev [--port N]`: the chat function natively, configured like Spin from
//! `SPIN_VARIABLE_<NAME>` environment variables. Prints `listening on http://127.0.0.1:N`.

use std::sync::Arc;

use sawt_api::MapEnv;

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
                println!(
                    "usage: sawt-chat-dev [--port N]\n\
                     config: SPIN_VARIABLE_OPENROUTER_API_KEY, SPIN_VARIABLE_OPENROUTER_BASE_URL (http:// only), ..."
                );
                return;
            }
            other => {
                eprintln!("unknown argument {other:?}; try --help");
                std::process::exit(2);
            }
        }
    }
    let env = Arc::new(MapEnv::from_process_env());
    match sawt_chat_dev::spawn(port, env) {
        Ok(addr) => {
            println!("listening on http://{addr}");
            let _ = std::io::Write::flush(&mut std::io::stdout());
            loop {
                std::thread::park();
            }
        }
        Err(e) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    }
}
