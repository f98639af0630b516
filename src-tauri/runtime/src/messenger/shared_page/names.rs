//! Customers' names and pictures from the profile API.

use super::*;

pub(super) fn ask_names(
    work: Arc<PageWork>,
    lease: Lease,
    _state: Arc<watch::Sender<PageState>>,
) -> JobFuture {
    Box::pin(async move {
        loop {
            let Some(due) = lease
                .next_due::<(String, String, String, i32)>(
                    &work.pg,
                    "SELECT * FROM sb_messenger_profiles_due($1, $2, $3, 20)",
                )
                .await?
            else {
                return Ok(());
            };
            for (contact, psid, _placeholder, attempts) in due {
                let asked =
                    tokio::time::timeout(PROFILE_TIMEOUT, work.graph.profile(&psid, &work.token))
                        .await
                        .unwrap_or_else(|_| {
                            Err(GraphError::Network(
                                "the profile API did not answer in time".into(),
                            ))
                        });
                let result = match asked {
                    Ok(profile) => {
                        let named = lease
                            .query("SELECT sb_messenger_profile($1, $2, $3, $4, $5)")
                            .bind(&contact)
                            .bind(profile.display_name())
                            .execute(&work.pg)
                            .await;
                        match (named, profile.profile_pic) {
                            (Ok(_), Some(url)) => keep_picture(&work, &lease, &contact, &url).await,
                            (named, _) => named,
                        }
                    }
                    Err(error) => {
                        tracing::debug!(%error, "shared Messenger page: no profile");
                        // Growing waits; after a few tries the placeholder stays (the page may
                        // not be allowed to read profiles).
                        let retry = (attempts + 1 < PROFILE_ATTEMPTS)
                            .then(|| 30_000_i64 << attempts.clamp(0, 10));
                        lease
                            .query("SELECT sb_messenger_profile_failed($1, $2, $3, $4, $5)")
                            .bind(&contact)
                            .bind(retry)
                            .execute(&work.pg)
                            .await
                    }
                };
                if unless_fenced(result)?.is_none() {
                    return Ok(());
                }
            }
        }
    })
}

/// The customer's picture onto the contact, once (its URL expires). A picture that cannot be
/// fetched is left out: the card shows initials.
async fn keep_picture(
    work: &PageWork,
    lease: &Lease,
    contact: &str,
    url: &str,
) -> Result<sqlx::postgres::PgQueryResult, sqlx::Error> {
    let fetched = tokio::time::timeout(PROFILE_TIMEOUT, work.graph.picture(url)).await;
    match fetched {
        Ok(Ok((bytes, kind)))
            if matches!(
                kind.as_str(),
                "image/png" | "image/jpeg" | "image/gif" | "image/webp"
            ) =>
        {
            lease
                .query("SELECT sb_messenger_picture($1, $2, $3, $4, $5, $6)")
                .bind(contact)
                .bind(bytes)
                .bind(kind)
                .execute(&work.pg)
                .await
        }
        _ => Ok(sqlx::postgres::PgQueryResult::default()),
    }
}
