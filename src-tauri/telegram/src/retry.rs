//! Waiting between attempts: exponential back-off with jitter, so that many
//! channels (or desktops) that failed together do not retry in lockstep, and
//! sleeps that end early when the channel stops.

use std::future::Future;
use std::time::Duration;

use switchboard_engine::clock::Millis;
use tokio_util::sync::CancellationToken;

/// `base · factor^attempts`, capped, then ±20 % at random.
pub fn backoff(attempts: u32, base: Millis, factor: Millis, cap: Millis) -> Millis {
    let mut delay = base;
    for _ in 0..attempts {
        delay = delay.saturating_mul(factor);
        if delay >= cap {
            break;
        }
    }
    jitter(delay.min(cap))
}

pub fn jitter(millis: Millis) -> Millis {
    // f64 is exact for any delay we use (well below 2^53 ms).
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    let jittered = (millis as f64 * rand::random_range(0.8..1.2)) as Millis;
    jittered.max(1)
}

pub fn millis_to_duration(millis: Millis) -> Duration {
    Duration::from_millis(u64::try_from(millis).unwrap_or(0))
}

/// Sleeps; `false` if the channel was stopped meanwhile.
pub async fn sleep_unless_cancelled(cancel: &CancellationToken, millis: Millis) -> bool {
    tokio::select! {
        _ = cancel.cancelled() => false,
        _ = tokio::time::sleep(millis_to_duration(millis)) => true,
    }
}

/// How long a request already sent may still finish after a stop. Dropping a
/// send mid-flight can deliver it without recording it, so it would go again
/// after a restart; a short grace makes that rare without holding up a stop.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// Runs a request to its end, unless the channel stops and the request then
/// takes longer than the grace period (`None`: abandoned).
pub async fn finish_unless_stopped<T>(
    cancel: &CancellationToken,
    request: impl Future<Output = T>,
) -> Option<T> {
    finish_within(cancel, STOP_GRACE, request).await
}

async fn finish_within<T>(
    cancel: &CancellationToken,
    grace: Duration,
    request: impl Future<Output = T>,
) -> Option<T> {
    tokio::pin!(request);
    tokio::select! {
        result = &mut request => Some(result),
        _ = cancel.cancelled() => tokio::time::timeout(grace, request).await.ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_stays_under_the_cap_and_is_jittered() {
        for attempts in 0..40 {
            let delay = backoff(attempts, 1000, 2, 60_000);
            let expected = (1000i64 << attempts.min(6)).min(60_000);
            assert!(
                (expected * 8 / 10..=expected * 12 / 10).contains(&delay),
                "attempt {attempts}: {delay} ms"
            );
        }
    }

    #[tokio::test]
    async fn a_stop_abandons_a_request_that_does_not_finish_in_the_grace_period() {
        let cancel = CancellationToken::new();
        cancel.cancel();
        let grace = Duration::from_millis(20);
        let quick = finish_within(&cancel, grace, async { 1 }).await;
        assert_eq!(quick, Some(1));
        let stuck = finish_within(&cancel, grace, std::future::pending::<()>()).await;
        assert_eq!(stuck, None);
        assert!(!sleep_unless_cancelled(&cancel, 60_000).await);
    }
}
