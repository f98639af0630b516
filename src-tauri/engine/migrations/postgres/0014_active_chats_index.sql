-- sb_accept_chat counts the operator's active chats under their row lock, and the router counts
-- everyone's in each pass: an index keeps both from scanning every chat ever stored.
CREATE INDEX chats_active_by_operator ON chats (operator_id) WHERE state = 'active';
