//! 4. The routing side alone: a burst of queued chats assigned by racing routers.
//!
//! The claim loop's unit of work is one queued row taken by one worker. The router's is one
//! queued chat given to one operator (`freest`: the chat goes to that operator alone, with its
//! decision-log row, its system line, its change-feed rows, the operators' rows locked and the
//! routing rules applied). Here nobody accepts: operators have room for every chat, so what is
//! timed is how fast racing routers turn a burst of waiting chats into assignments, which is
//! what the claim loop's number stands for.

use super::*;

pub(crate) struct Burst {
    pub(crate) seconds: f64,
    pub(crate) passes: u64,
    pub(crate) assigned: i64,
    pub(crate) capacity: i64,
}

pub(crate) async fn routing_burst(made: &mut Made, n: i64, operators: usize) -> Burst {
    let db = made.database("freest").await;
    // Room for every chat, so that routing, not operators, is what is measured. (The designer
    // allows less; the router reads whatever the settings row says.)
    let capacity = (n + operators as i64 - 1) / operators as i64;
    db.set("SimultaneousChats", &capacity.to_string()).await;
    for i in 0..operators {
        db.operator(&format!("op{i}")).await;
        made.roles.push(db.role_of(&format!("op{i}")));
    }
    seed_queued(&db, n).await;

    let (stop_tx, stop) = watch::channel(false);
    let mut routers = Vec::new();
    let mut pass_counts = Vec::new();
    let started = Instant::now();
    for _ in 0..ENGINES {
        let pool = pool_of(&db, 2).await;
        let (passes, counted) = watch::channel(0);
        pass_counts.push(counted);
        routers.push(tokio::spawn(
            SharedRouter::new(pool, RouterClock::Database).run(
                ROUTER_SAFETY_NET,
                stop.clone(),
                passes,
            ),
        ));
    }
    // Done when no chat waits any more; checked after every pass any router finishes.
    let mut watched = pass_counts.clone();
    loop {
        let waiting: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT FROM chats WHERE state = 'queued' OR arrival = 0)",
        )
        .fetch_one(&db.owner)
        .await
        .unwrap();
        if !waiting {
            break;
        }
        let changes: Vec<_> = watched.iter_mut().map(|w| Box::pin(w.changed())).collect();
        let _ = futures_util::future::select_all(changes).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    stop_tx.send_replace(true);
    for router in routers {
        let _ = router.await;
    }
    let assigned: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT chat_id FROM chat_offers GROUP BY chat_id
                               HAVING count(*) = 1) one_operator_each",
    )
    .fetch_one(&db.owner)
    .await
    .unwrap();
    Burst {
        seconds,
        passes: pass_counts.iter().map(|p| *p.borrow()).sum(),
        assigned,
        capacity,
    }
}
