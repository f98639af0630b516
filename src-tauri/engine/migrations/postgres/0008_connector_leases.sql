-- Shared mode: connector ownership (issue 7). Each Telegram bot is polled by exactly one process at
-- a time. A process holds the bot's lease in connector_leases, renews it (the heartbeat), and polls
-- only while it holds it; when the holder disappears the lease expires and another desktop takes
-- it over and continues from the stored offset. Postgres only: a standalone desktop polls its own
-- bots and its SQLite file has no leases. Described in src-tauri/engine/POSTGRES.md
-- ("Connector leases"); the keeper that calls these functions is switchboard-sync's lease.rs.
--
-- Time is the DATABASE's clock (sb_now_ms(), ms since the epoch): every desktop judges expiry by
-- one clock, so a desktop whose clock is wrong can neither keep a lease alive too long nor steal a
-- live one. Desktops only measure durations locally (how long since they sent a renewal).
--
-- The fencing token is what makes "exactly one poller" true even when a holder stalls (a long GC
-- pause, a suspended laptop, a network partition) and wakes up after its lease was taken over: it
-- grows with every new tenure, and the offset can only be written with the current holder's token
-- (sb_store_telegram_offset), so a stale holder's late writes are refused.
--
-- Not in the change feed (0006): leases change every few seconds and are not a desktop's cache's
-- business; a desktop asks the functions below.

CREATE TABLE connector_leases (
    channel_id  TEXT PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
    -- Who polls: one id per running process (e.g. host, pid and a random part), never reused
    -- across restarts, so two processes never share a tenure.
    holder      TEXT NOT NULL,
    -- The login role (session_user) that took the lease: only that role may renew, release or
    -- write the offset with it, so another operator's desktop cannot borrow a token it can read.
    holder_role TEXT NOT NULL,
    fencing     BIGINT NOT NULL CHECK (fencing > 0),
    -- When this tenure began / was last renewed, and when it ends (database clock, ms).
    acquired_at BIGINT,
    renewed_at  BIGINT,
    expires_at  BIGINT NOT NULL
);

-- New tables get no grant (0007): desktops read leases (who polls which bot) and change them only
-- through the functions.
GRANT SELECT ON connector_leases TO switchboard_operator;

-- ---------------------------------------------------------------------------------------------
-- Helpers (not callable by operators).

-- Input checks shared by the lease functions; SB008 like 0007's other bad input.
CREATE FUNCTION sb_check_lease_input(channel TEXT, holder TEXT, ttl_ms BIGINT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    -- A disabled operator's sessions that are still open poll nothing (as sb_lock_me).
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = session_user AND rolcanlogin) THEN
        RAISE EXCEPTION 'Your database role % is disabled.', session_user USING ERRCODE = 'SB001';
    END IF;
    IF channel IS NULL OR NOT EXISTS (SELECT FROM channels WHERE id = channel) THEN
        RAISE EXCEPTION 'There is no channel %.', COALESCE(channel, 'empty') USING ERRCODE = 'SB008';
    END IF;
    IF holder IS NULL OR length(holder) = 0 OR length(holder) > 200 THEN
        RAISE EXCEPTION 'A lease holder is named by 1 to 200 characters.' USING ERRCODE = 'SB008';
    END IF;
    IF ttl_ms IS NULL OR ttl_ms < 1000 OR ttl_ms > 300000 THEN
        RAISE EXCEPTION 'A lease lasts from 1000 to 300000 ms, not %.', COALESCE(ttl_ms::TEXT, 'empty')
            USING ERRCODE = 'SB008';
    END IF;
END;
$$;

-- ---------------------------------------------------------------------------------------------
-- Leases. Every desktop may run connectors, so these are granted to switchboard_operator (admins
-- are operators too): whichever desktop is running takes over a bot whose holder disappeared.
-- What they protect is the bot's polling, not an operator's data; the token and the role check
-- keep a desktop from writing with a lease it does not hold.

-- Takes the channel's lease for ttl_ms if it is free, expired (expires_at <= now) or already
-- this holder's, and returns the fencing token; NULL while someone else holds a live lease.
-- The token starts at 1 and grows by one with every new tenure: another holder, or the same
-- holder again after its lease expired or was released. Calling it again while holding the live
-- lease is a renewal: same token, later expiry (so a retried call whose answer was lost is safe).
-- Race-free: INSERT … ON CONFLICT DO UPDATE locks the row (or waits for a racing insert to
-- commit) and evaluates the WHERE on the newest version, so of many racing callers exactly one
-- gets a token.
CREATE FUNCTION sb_acquire_lease(channel TEXT, holder TEXT, ttl_ms BIGINT) RETURNS BIGINT
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    now_ms BIGINT;
    token BIGINT;
BEGIN
    PERFORM sb_check_lease_input(channel, holder, ttl_ms);
    now_ms := sb_now_ms();
    INSERT INTO connector_leases AS l
        (channel_id, holder, holder_role, fencing, acquired_at, renewed_at, expires_at)
    VALUES (channel, sb_acquire_lease.holder, session_user, 1, now_ms, now_ms, now_ms + ttl_ms)
    ON CONFLICT (channel_id) DO UPDATE SET
        fencing = CASE WHEN l.holder = EXCLUDED.holder AND l.holder_role = EXCLUDED.holder_role
                            AND l.expires_at > now_ms
                       THEN l.fencing ELSE l.fencing + 1 END,
        acquired_at = CASE WHEN l.holder = EXCLUDED.holder AND l.holder_role = EXCLUDED.holder_role
                                AND l.expires_at > now_ms
                           THEN l.acquired_at ELSE EXCLUDED.acquired_at END,
        holder = EXCLUDED.holder,
        holder_role = EXCLUDED.holder_role,
        renewed_at = EXCLUDED.renewed_at,
        expires_at = EXCLUDED.expires_at
    WHERE l.expires_at <= now_ms
       OR (l.holder = EXCLUDED.holder AND l.holder_role = EXCLUDED.holder_role)
    RETURNING l.fencing INTO token;
    RETURN token;
END;
$$;

-- The heartbeat: extends the lease to now + ttl_ms only if this holder still holds it with this
-- token AND it has not expired. FALSE means the lease is lost — expired (even if nobody has
-- taken it yet), released, or taken over — and the holder must stop polling at once and go back
-- to sb_acquire_lease (which gives it a new token). Never silently reviving an expired lease
-- keeps the rule simple: after expires_at the holder has no lease, whatever happens next.
-- Expiry is judged by the database clock when the call starts.
CREATE FUNCTION sb_renew_lease(channel TEXT, holder TEXT, fencing BIGINT, ttl_ms BIGINT)
RETURNS BOOLEAN
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    now_ms BIGINT;
BEGIN
    PERFORM sb_check_lease_input(channel, holder, ttl_ms);
    now_ms := sb_now_ms();
    UPDATE connector_leases AS l SET renewed_at = now_ms, expires_at = now_ms + ttl_ms
    WHERE l.channel_id = channel AND l.holder = sb_renew_lease.holder
      AND l.holder_role = session_user AND l.fencing = sb_renew_lease.fencing
      AND l.expires_at > now_ms;
    RETURN FOUND;
END;
$$;

-- Graceful hand-over: the lease expires now, so another desktop takes it at its next try. Stop
-- polling first. FALSE if this holder did not hold it (any more) with this token.
CREATE FUNCTION sb_release_lease(channel TEXT, holder TEXT, fencing BIGINT) RETURNS BOOLEAN
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    now_ms BIGINT;
BEGIN
    PERFORM sb_check_lease_input(channel, holder, 1000);
    now_ms := sb_now_ms();
    UPDATE connector_leases AS l SET expires_at = now_ms, renewed_at = now_ms
    WHERE l.channel_id = channel AND l.holder = sb_release_lease.holder
      AND l.holder_role = session_user AND l.fencing = sb_release_lease.fencing
      AND l.expires_at > now_ms;
    RETURN FOUND;
END;
$$;

-- The fenced write of the poller's offset. The poller MUST call it in the same transaction that
-- stores the batch the offset confirms: if the lease is not held by this holder with this token
-- (expired, released, taken over) it raises SB009 and the whole transaction — messages and
-- offset — rolls back, so a stale holder can never commit a batch after a takeover.
-- The lease row is locked FOR SHARE until the transaction ends: a takeover (which updates the
-- row) waits for this transaction, so the new holder reads the offset only after this batch has
-- committed or rolled back. (A renewal of the same row waits too; store transactions are short.)
CREATE FUNCTION sb_store_telegram_offset(channel TEXT, holder TEXT, fencing BIGINT,
                                         next_offset BIGINT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM sb_check_lease_input(channel, holder, 1000);
    IF next_offset IS NULL THEN
        RAISE EXCEPTION 'An offset is a number.' USING ERRCODE = 'SB008';
    END IF;
    PERFORM FROM connector_leases AS l
    WHERE l.channel_id = channel AND l.holder = sb_store_telegram_offset.holder
      AND l.holder_role = session_user AND l.fencing = sb_store_telegram_offset.fencing
      AND l.expires_at > sb_now_ms()
    FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'This desktop no longer holds the lease of channel %: another one polls it now.',
            channel USING ERRCODE = 'SB009';
    END IF;
    INSERT INTO telegram_cursors (channel_id, next_offset)
    VALUES (channel, sb_store_telegram_offset.next_offset)
    ON CONFLICT (channel_id) DO UPDATE SET next_offset = EXCLUDED.next_offset;
END;
$$;

-- Functions are executable by PUBLIC by default: not these.
REVOKE ALL ON FUNCTION sb_check_lease_input(TEXT, TEXT, BIGINT),
    sb_acquire_lease(TEXT, TEXT, BIGINT), sb_renew_lease(TEXT, TEXT, BIGINT, BIGINT),
    sb_release_lease(TEXT, TEXT, BIGINT), sb_store_telegram_offset(TEXT, TEXT, BIGINT, BIGINT)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb_acquire_lease(TEXT, TEXT, BIGINT),
    sb_renew_lease(TEXT, TEXT, BIGINT, BIGINT), sb_release_lease(TEXT, TEXT, BIGINT),
    sb_store_telegram_offset(TEXT, TEXT, BIGINT, BIGINT) TO switchboard_operator;
