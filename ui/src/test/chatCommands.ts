// The fake shell's chat and routing commands: the list, reading and replying, status, accept,
// decline, complete, transfer and the routing explanation.

import type { ChatDetail, RoutingExplanation } from '../generated/ipc';
import { message } from './fixtures';
import { type Commands, failure, notFound, type ShellContext, UNHANDLED } from './shellContext';

export function chatCommands(ctx: ShellContext): Commands {
  const { shell, activeCount, status, systemLine, myActiveChat, removeChat, refuseClosedWindow } = ctx;
  return (cmd, args) => {
    switch (cmd) {
      case 'list_chats':
        return structuredClone(shell.chats);
      case 'read_chat': {
        const found = shell.chats.find((c) => c.id === args['chatId']);
        if (!found) throw notFound(args['chatId']);
        found.unread_count = 0;
        return structuredClone({
          chat: found,
          messages: shell.messages.get(found.id) ?? [],
          window: shell.windows.get(found.id) ?? null,
          contact_picture: shell.pictures.get(found.id) ?? null,
        } satisfies ChatDetail);
      }
      case 'send_reply': {
        const chatId = String(args['chatId']);
        if (!shell.chats.some((c) => c.id === chatId)) throw notFound(chatId);
        refuseClosedWindow(chatId);
        const sent = message({
          id: `m${ctx.nextId()}`,
          chat_id: chatId,
          kind: 'outbound',
          text: String(args['text']),
          author: 'Operator',
          created_at: Date.now(),
          delivery: 'pending',
        });
        shell.messages.set(chatId, [...(shell.messages.get(chatId) ?? []), sent]);
        return structuredClone(sent);
      }
      case 'my_status':
        return status();
      case 'set_my_status': {
        const next = args['status'];
        if (next !== 'active' && next !== 'inactive') throw failure('invalid_input', 'Choose Active or Inactive.');
        shell.me.status = next;
        return status();
      }
      case 'accept_chat': {
        const found = shell.chats.find((c) => c.id === args['chatId']);
        if (!found || !found.offered_to_me) {
          throw failure('conflict', 'Another operator has already accepted this chat.');
        }
        if (shell.me.status !== 'active') throw failure('conflict', 'You are Inactive: become Active to accept chats.');
        if (activeCount() >= shell.me.capacity) {
          throw failure('conflict', 'You already have the maximum number of active chats.');
        }
        found.state = 'active';
        found.offered_to_me = false;
        found.operator_name = shell.me.name;
        systemLine(found.id, `${shell.me.name} accepted the chat`);
        return structuredClone(found);
      }
      case 'decline_chat': {
        const found = shell.chats.find((c) => c.id === args['chatId']);
        if (!found || !found.offered_to_me) throw failure('conflict', 'This chat is no longer offered to you.');
        removeChat(found.id);
        return null;
      }
      case 'complete_chat': {
        const found = myActiveChat(args['chatId']);
        systemLine(found.id, `${shell.me.name} completed the chat`);
        removeChat(found.id);
        return null;
      }
      case 'transfer_to_queue': {
        const found = myActiveChat(args['chatId']);
        const target = shell.queues.find((q) => q.id === args['queueId']);
        if (!target) throw failure('not_found', 'This queue no longer exists.');
        systemLine(found.id, `Transferred to queue ${target.name}`);
        removeChat(found.id);
        return null;
      }
      case 'transfer_to_operator': {
        const found = myActiveChat(args['chatId']);
        const target = shell.operators.find((o) => o.id === args['operatorId']);
        if (!target) throw failure('not_found', 'This operator no longer exists.');
        if (target.id === shell.me.operator_id) throw failure('invalid_input', 'The chat is already yours.');
        systemLine(found.id, `Transferred to ${target.name}`);
        removeChat(found.id);
        return null;
      }
      case 'explain_routing': {
        const chatId = String(args['chatId']);
        return structuredClone({
          chat_id: chatId,
          entries: shell.explanations.get(chatId) ?? [],
        } satisfies RoutingExplanation);
      }
      default:
        return UNHANDLED;
    }
  };
}
