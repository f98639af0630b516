-- What a router pass reads, by index instead of a scan of every chat ever held: the offered and
-- active chats, the line of waiting chats per queue (its first few, and its last place), and the
-- oldest chats never routed. Without them every pass, idle or not, read the whole chats table.
CREATE INDEX chats_routed_open ON chats (id) WHERE state IN ('offered', 'active');
CREATE INDEX chats_waiting_in_line ON chats (queue_id, arrival) WHERE state = 'queued';
CREATE INDEX chats_never_routed ON chats (created_at, id) WHERE arrival = 0;
