//! Switchboard's desktop shell. Thin by design: it resolves where data lives,
//! starts the runtime, registers commands and forwards change events. All
//! behaviour lives in switchboard-runtime and below (no Tauri there).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod config;
mod events;
mod facebook_login;

use std::sync::Arc;

use switchboard_engine::clock::SystemClock;
use switchboard_engine::secrets::Keychain;
use switchboard_runtime::{Runtime, RuntimeConfig};
use tauri::Manager;

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    let result = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![
            commands::list_chats,
            commands::read_chat,
            commands::send_reply,
            commands::list_channels,
            commands::accept_chat,
            commands::decline_chat,
            commands::complete_chat,
            commands::transfer_to_queue,
            commands::transfer_to_operator,
            commands::my_status,
            commands::set_my_status,
            commands::list_queues,
            commands::create_queue,
            commands::update_queue,
            commands::list_operators,
            commands::explain_routing,
            commands::get_settings,
            commands::update_settings,
            commands::list_roles,
            commands::create_role,
            commands::set_role_member,
            commands::add_queue_member,
            commands::remove_queue_member,
            commands::add_telegram_channel,
            commands::update_channel,
            commands::replace_channel_token,
            commands::restart_channel,
            commands::send_file,
            commands::read_attachment,
            commands::retry_message,
            commands::retry_attachment,
            commands::get_facebook_settings,
            commands::update_facebook_settings,
            commands::start_facebook_login,
            commands::cancel_facebook_login,
            commands::connect_facebook_pages,
            commands::messenger_webhook,
            commands::take_thread,
            commands::pass_thread_back,
            commands::shared_database,
            commands::test_shared_database,
            commands::connect_shared_database,
            commands::leave_shared_database,
            commands::restart_app,
            commands::list_operator_logins,
            commands::create_operator_login,
            commands::disable_operator_login,
        ])
        .setup(|app| {
            let data_dir = config::data_dir(app.handle())?;
            let seed_telegram = config::seed_telegram_bot();
            tracing::info!(data_dir = %data_dir.display(), "starting Switchboard");
            let runtime = tauri::async_runtime::block_on(Runtime::start(
                RuntimeConfig {
                    data_dir,
                    seed_telegram,
                    telegram_api_base: config::telegram_api_base(),
                    facebook: config::facebook_endpoints(),
                    messenger_listen: config::messenger_listen(),
                },
                Arc::new(Keychain),
                Arc::new(SystemClock),
            ));
            let state = match runtime {
                Ok(runtime) => {
                    events::forward_chat_changes(app.handle().clone(), runtime.subscribe());
                    events::forward_channel_changes(
                        app.handle().clone(),
                        runtime.subscribe_channels(),
                    );
                    events::forward_database_changes(app.handle().clone(), runtime.clone());
                    commands::AppState::Ready(runtime)
                }
                Err(err) => {
                    tracing::error!(error = %err, details = ?err.details, "Switchboard could not start");
                    commands::AppState::Failed(err)
                }
            };
            app.manage(state);
            Ok(())
        })
        .build(tauri::generate_context!());
    match result {
        Ok(app) => app.run(|handle, event| {
            if let tauri::RunEvent::Exit = event
                && let Some(commands::AppState::Ready(runtime)) =
                    handle.try_state::<commands::AppState>().as_deref()
            {
                tauri::async_runtime::block_on(runtime.shutdown());
            }
        }),
        Err(err) => {
            eprintln!("Switchboard could not open its window: {err}");
            if std::env::var_os("DISPLAY").is_none()
                && std::env::var_os("WAYLAND_DISPLAY").is_none()
            {
                eprintln!(
                    "No display found: set DISPLAY (or run under Xvfb) to start the desktop app."
                );
            }
            std::process::exit(1);
        }
    }
}
