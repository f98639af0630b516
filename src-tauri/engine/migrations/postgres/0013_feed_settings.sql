-- The change feed (0006) also carries the workspace's settings and chat actions: a desktop's cache
-- needs them to show capacity ("2 of 3 chats") and the actions menu without asking Postgres.
CREATE TRIGGER change_log_record AFTER INSERT OR UPDATE OR DELETE ON settings
    FOR EACH ROW EXECUTE FUNCTION change_log_record('key');
CREATE TRIGGER change_log_notify AFTER INSERT OR UPDATE OR DELETE ON settings
    FOR EACH STATEMENT EXECUTE FUNCTION change_log_notify();
CREATE TRIGGER change_log_record AFTER INSERT OR UPDATE OR DELETE ON chat_actions
    FOR EACH ROW EXECUTE FUNCTION change_log_record('id');
CREATE TRIGGER change_log_notify AFTER INSERT OR UPDATE OR DELETE ON chat_actions
    FOR EACH STATEMENT EXECUTE FUNCTION change_log_notify();
