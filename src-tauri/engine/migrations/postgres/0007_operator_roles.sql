-- Shared mode: who may change what (issue 7). Each operator's desktop logs in with that operator's
-- own Postgres role. Operators read the tables but write nothing directly: every change of routing
-- state goes through the SECURITY DEFINER functions below, which check the rules against
-- session_user. Admins may also write the configuration tables. The model, the error codes and the
-- lock order are described in src-tauri/engine/POSTGRES.md.
--
-- Run by the schema owner: a superuser, or a role with CREATEROLE that owns the tables (the
-- functions run as their owner, and sb_create_operator_role creates roles).

-- Group roles are cluster-wide: several databases (or tests running side by side) may run this
-- migration at the same moment, so "already exists" from a concurrent creator is fine too.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'switchboard_operator') THEN
        CREATE ROLE switchboard_operator NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END;
$$;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'switchboard_admin') THEN
        CREATE ROLE switchboard_admin NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END;
$$;
-- An admin is an operator too.
DO $$
BEGIN
    IF NOT pg_has_role('switchboard_admin', 'switchboard_operator', 'MEMBER') THEN
        GRANT switchboard_operator TO switchboard_admin;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END;
$$;

-- Which Switchboard user a login role is. Written only by sb_create_operator_role.
ALTER TABLE users ADD COLUMN IF NOT EXISTS db_role TEXT UNIQUE;

-- Nobody but the owner creates objects in public (the default since Postgres 15; explicit for
-- older clusters): a SECURITY DEFINER function must never resolve a name to an operator's object.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- Operators read everything the panel shows (the cache follows these tables) and write nothing.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC, switchboard_operator, switchboard_admin;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO switchboard_operator;

-- Admins change configuration directly (the designer's tables). Users: name only; whether a user
-- is an admin and which role is theirs change only through sb_create_operator_role.
GRANT INSERT, UPDATE, DELETE ON queues, queue_operators, queue_roles, chat_actions, settings,
    channels, roles, user_roles TO switchboard_admin;
GRANT INSERT (id, name, status, is_local, created_at) ON users TO switchboard_admin;
GRANT UPDATE (name) ON users TO switchboard_admin;
-- The change feed's row trigger (0006) runs as the writer: an admin's direct write records its
-- change. Only these columns, so the position and the transaction id stay the database's own.
GRANT INSERT (table_name, row_id, op) ON change_log TO switchboard_admin;

-- ---------------------------------------------------------------------------------------------
-- Helpers (not callable by operators).

CREATE FUNCTION sb_now_ms() RETURNS BIGINT
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT
$$;

-- The calling operator's user id, with their users row locked (lock order step 1). session_user,
-- not current_user: inside a SECURITY DEFINER function current_user is the owner, and an operator
-- cannot change session_user (SET ROLE changes only current_user).
CREATE FUNCTION sb_lock_me() RETURNS TEXT
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    me TEXT;
BEGIN
    -- A disabled role's sessions that are still open change nothing either.
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = session_user AND rolcanlogin) THEN
        RAISE EXCEPTION 'Your database role % is disabled.', session_user
            USING ERRCODE = 'SB001';
    END IF;
    SELECT id INTO me FROM users WHERE db_role = session_user FOR UPDATE;
    IF me IS NULL THEN
        RAISE EXCEPTION 'Your database role % is not a Switchboard operator.', session_user
            USING ERRCODE = 'SB001';
    END IF;
    RETURN me;
END;
$$;

-- Withdraws every offer a user holds; a chat left with no offer waits in its queue again. The
-- user's row is already locked; the chats are locked in id order (lock order step 2) before their
-- offers are touched (step 3).
CREATE FUNCTION sb_drop_offers_of(who TEXT, why TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    c RECORD;
BEGIN
    FOR c IN
        SELECT ch.id FROM chats ch
        WHERE ch.id IN (SELECT chat_id FROM chat_offers WHERE user_id = who)
        ORDER BY ch.id
        FOR UPDATE OF ch
    LOOP
        DELETE FROM chat_offers WHERE chat_id = c.id AND user_id = who;
        INSERT INTO routing_decisions (id, chat_id, decided_at, kind, candidates, chosen_user_id, reason)
        VALUES (gen_random_uuid()::TEXT, c.id, sb_now_ms(), 'withdraw', '[]', who, why);
        UPDATE chats SET state = 'queued', offered_at = NULL
        WHERE id = c.id AND state = 'offered'
          AND NOT EXISTS (SELECT FROM chat_offers WHERE chat_id = c.id);
    END LOOP;
END;
$$;

CREATE FUNCTION sb_system_line(chat TEXT, line TEXT) RETURNS VOID
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    INSERT INTO messages (id, chat_id, channel_id, kind, text, author, created_at)
    SELECT gen_random_uuid()::TEXT, id, channel_id, 'system', line, '', sb_now_ms()
    FROM chats WHERE id = chat
$$;

CREATE FUNCTION sb_is_admin() RETURNS BOOLEAN
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    -- Members of switchboard_admin (superusers are members of everything), or the owner of these
    -- functions (current_user here), who bootstraps the first admin.
    SELECT pg_has_role(session_user, 'switchboard_admin', 'MEMBER') OR session_user = current_user
$$;

-- ---------------------------------------------------------------------------------------------
-- Operators.

-- Accept a chat offered to me. First accept wins: the chat row is locked, so racing accepts of
-- one chat run one after another and the later ones see it taken. My own users row is locked
-- first, so my racing accepts of different chats count my active chats one after another.
CREATE FUNCTION sb_accept_chat(chat TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    me TEXT := sb_lock_me();
    c chats%ROWTYPE;
    my_status TEXT;
    my_name TEXT;
    cap INTEGER;
    mine INTEGER;
    holders JSONB;
    queue_rule TEXT;
BEGIN
    SELECT * INTO c FROM chats WHERE id = chat FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'There is no chat %.', chat USING ERRCODE = 'SB007';
    ELSIF c.state = 'active' AND c.operator_id = me THEN
        RAISE EXCEPTION 'You already have this chat.' USING ERRCODE = 'SB003';
    ELSIF c.state = 'active' THEN
        RAISE EXCEPTION 'Another operator has already accepted this chat.' USING ERRCODE = 'SB003';
    ELSIF c.state = 'completed' THEN
        RAISE EXCEPTION 'This chat is already completed.' USING ERRCODE = 'SB007';
    ELSIF c.state NOT IN ('offered', 'queued')
          OR NOT EXISTS (SELECT FROM chat_offers WHERE chat_id = chat AND user_id = me) THEN
        RAISE EXCEPTION 'This chat is not offered to you.' USING ERRCODE = 'SB002';
    END IF;

    SELECT status, name INTO my_status, my_name FROM users WHERE id = me;
    IF my_status <> 'active' THEN
        RAISE EXCEPTION 'Set your status to Active to accept chats.' USING ERRCODE = 'SB006';
    END IF;
    SELECT COALESCE((SELECT value::INTEGER FROM settings WHERE key = 'SimultaneousChats'), 2)
        INTO cap;
    SELECT count(*) INTO mine FROM chats WHERE operator_id = me AND state = 'active';
    IF mine >= cap THEN
        RAISE EXCEPTION 'You are at your limit of % simultaneous chats.', cap
            USING ERRCODE = 'SB004';
    END IF;

    SELECT COALESCE(jsonb_agg(user_id ORDER BY user_id), '[]') INTO holders
        FROM chat_offers WHERE chat_id = chat;
    SELECT rule INTO queue_rule FROM queues WHERE id = c.queue_id;
    -- Every offer of the chat goes: a to_all offer vanishes from everyone's panel.
    DELETE FROM chat_offers WHERE chat_id = chat;
    UPDATE chats SET state = 'active', operator_id = me, offered_at = NULL, excluded = '[]'
        WHERE id = chat;
    UPDATE users SET last_assigned_at = sb_now_ms() WHERE id = me;
    INSERT INTO routing_decisions (id, chat_id, decided_at, kind, rule, candidates, chosen_user_id, reason)
    VALUES (gen_random_uuid()::TEXT, chat, sb_now_ms(), 'assign', queue_rule, holders, me,
            format('Accepted by %s.', my_name));
    PERFORM sb_system_line(chat, format('Chat assigned to %s', my_name));
END;
$$;

-- Decline a chat offered to me: I am not offered it again while it waits.
CREATE FUNCTION sb_decline_chat(chat TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    me TEXT := sb_lock_me();
    c chats%ROWTYPE;
BEGIN
    SELECT * INTO c FROM chats WHERE id = chat FOR UPDATE;
    IF NOT FOUND OR c.state <> 'offered'
       OR NOT EXISTS (SELECT FROM chat_offers WHERE chat_id = chat AND user_id = me) THEN
        RAISE EXCEPTION 'This chat is not offered to you.' USING ERRCODE = 'SB002';
    END IF;
    DELETE FROM chat_offers WHERE chat_id = chat AND user_id = me;
    UPDATE chats SET
        excluded = (SELECT COALESCE(jsonb_agg(DISTINCT e), '[]')::TEXT
                    FROM jsonb_array_elements_text(c.excluded::JSONB || jsonb_build_array(me)) AS e),
        state = CASE WHEN EXISTS (SELECT FROM chat_offers WHERE chat_id = chat)
                     THEN state ELSE 'queued' END,
        offered_at = CASE WHEN EXISTS (SELECT FROM chat_offers WHERE chat_id = chat)
                          THEN offered_at END
        WHERE id = chat;
    INSERT INTO routing_decisions (id, chat_id, decided_at, kind, candidates, chosen_user_id, reason)
    VALUES (gen_random_uuid()::TEXT, chat, sb_now_ms(), 'withdraw', '[]', me, 'You declined it.');
END;
$$;

-- Complete my own active chat.
CREATE FUNCTION sb_complete_chat(chat TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    me TEXT := sb_lock_me();
    c chats%ROWTYPE;
    why TEXT;
BEGIN
    SELECT * INTO c FROM chats WHERE id = chat FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'There is no chat %.', chat USING ERRCODE = 'SB007';
    ELSIF c.state = 'completed' THEN
        RAISE EXCEPTION 'This chat is already completed.' USING ERRCODE = 'SB007';
    ELSIF c.state <> 'active' OR c.operator_id <> me THEN
        RAISE EXCEPTION 'This chat is not yours.' USING ERRCODE = 'SB005';
    END IF;
    why := format('Completed by %s.', (SELECT name FROM users WHERE id = me));
    DELETE FROM chat_offers WHERE chat_id = chat;
    UPDATE chats SET state = 'completed', operator_id = NULL, offered_at = NULL, excluded = '[]',
                     completed_at = sb_now_ms()
        WHERE id = chat;
    INSERT INTO routing_decisions (id, chat_id, decided_at, kind, candidates, chosen_user_id, reason)
    VALUES (gen_random_uuid()::TEXT, chat, sb_now_ms(), 'complete', '[]', me, why);
    PERFORM sb_system_line(chat, format('Chat completed: %s', why));
END;
$$;

-- Active or Inactive (Offline is the absence of a connected desktop, not a choice). Going
-- Inactive withdraws my offers.
CREATE FUNCTION sb_set_status(status TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    me TEXT := sb_lock_me();
BEGIN
    IF status IS NULL OR status NOT IN ('active', 'inactive') THEN
        RAISE EXCEPTION 'A status is active or inactive, not %.', COALESCE(status, 'empty')
            USING ERRCODE = 'SB008';
    END IF;
    UPDATE users SET status = sb_set_status.status WHERE id = me;
    IF status <> 'active' THEN
        PERFORM sb_drop_offers_of(me, 'You are no longer Active.');
    END IF;
END;
$$;

-- ---------------------------------------------------------------------------------------------
-- Admins: operators' login roles.

-- Creates a login role for an existing Switchboard user and maps it to them. `password` may be a
-- SCRAM verifier ('SCRAM-SHA-256$…') computed by the designer, so no clear text reaches the
-- server or its statement log.
CREATE FUNCTION sb_create_operator_role(role_name TEXT, password TEXT, user_id TEXT,
                                        is_admin BOOLEAN DEFAULT FALSE) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    mapped TEXT;
BEGIN
    IF NOT sb_is_admin() THEN
        RAISE EXCEPTION 'Only an admin may create operator roles.' USING ERRCODE = '42501';
    END IF;
    IF role_name IS NULL OR role_name !~ '^[a-z][a-z0-9_]{0,62}$' OR role_name LIKE 'pg\_%' THEN
        RAISE EXCEPTION 'A role name is lower-case letters, digits and _, starting with a letter.'
            USING ERRCODE = 'SB008';
    END IF;
    IF password IS NULL OR length(password) < 8 THEN
        RAISE EXCEPTION 'A password has at least 8 characters.' USING ERRCODE = 'SB008';
    END IF;
    SELECT db_role INTO mapped FROM users WHERE id = user_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'There is no user %.', user_id USING ERRCODE = 'SB008';
    ELSIF mapped IS NOT NULL THEN
        RAISE EXCEPTION 'This user already has the role %.', mapped USING ERRCODE = 'SB008';
    ELSIF EXISTS (SELECT FROM pg_roles WHERE rolname = role_name) THEN
        RAISE EXCEPTION 'The role % already exists.', role_name USING ERRCODE = 'SB008';
    END IF;
    EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', role_name, password);
    EXECUTE format('GRANT switchboard_operator TO %I', role_name);
    IF is_admin THEN
        EXECUTE format('GRANT switchboard_admin TO %I', role_name);
    END IF;
    UPDATE users SET db_role = role_name, can_manage_chats = is_admin WHERE id = user_id;
END;
$$;

-- Disables an operator's login role: no new sessions, and open ones change nothing (sb_lock_me).
-- Their offers are withdrawn and they show Offline. Only roles made for Switchboard operators.
CREATE FUNCTION sb_disable_operator_role(role_name TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    who TEXT;
BEGIN
    IF NOT sb_is_admin() THEN
        RAISE EXCEPTION 'Only an admin may disable operator roles.' USING ERRCODE = '42501';
    END IF;
    IF role_name = session_user THEN
        RAISE EXCEPTION 'You cannot disable your own role.' USING ERRCODE = 'SB008';
    END IF;
    SELECT id INTO who FROM users WHERE db_role = role_name FOR UPDATE;
    IF who IS NULL OR NOT EXISTS (
        SELECT FROM pg_auth_members m
        JOIN pg_roles r ON r.oid = m.member
        JOIN pg_roles g ON g.oid = m.roleid
        WHERE r.rolname = role_name AND NOT r.rolsuper AND g.rolname = 'switchboard_operator'
    ) THEN
        RAISE EXCEPTION '% is not a Switchboard operator role.', role_name USING ERRCODE = 'SB008';
    END IF;
    EXECUTE format('ALTER ROLE %I NOLOGIN', role_name);
    UPDATE users SET status = 'offline' WHERE id = who;
    PERFORM sb_drop_offers_of(who, 'Your role was disabled.');
END;
$$;

-- Functions are executable by PUBLIC by default: not these.
REVOKE ALL ON FUNCTION sb_now_ms(), sb_lock_me(), sb_drop_offers_of(TEXT, TEXT),
    sb_system_line(TEXT, TEXT), sb_is_admin(), sb_accept_chat(TEXT), sb_decline_chat(TEXT),
    sb_complete_chat(TEXT), sb_set_status(TEXT),
    sb_create_operator_role(TEXT, TEXT, TEXT, BOOLEAN), sb_disable_operator_role(TEXT)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb_accept_chat(TEXT), sb_decline_chat(TEXT), sb_complete_chat(TEXT),
    sb_set_status(TEXT) TO switchboard_operator;
-- The admin functions check sb_is_admin() themselves as well.
GRANT EXECUTE ON FUNCTION sb_create_operator_role(TEXT, TEXT, TEXT, BOOLEAN),
    sb_disable_operator_role(TEXT) TO switchboard_admin;
