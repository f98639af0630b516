// The fake shell's Chat settings commands: queues and their members, operators, roles, workspace
// settings and channels (Telegram bots, channel changes, tokens, restarts).

import type { ChannelChanges, ChannelView, MemberKind, NewTelegramChannel, QueueView, RoleView, WorkspaceSettings } from '../generated/ipc';
import { channel, queue, role } from './fixtures';
import { type Commands, failure, type ShellContext, UNHANDLED } from './shellContext';

export function adminCommands(ctx: ShellContext): Commands {
  const { shell } = ctx;
  const findQueue = (queueId: unknown): QueueView => {
    const found = shell.queues.find((q) => q.id === queueId);
    if (!found) throw failure('not_found', 'This queue no longer exists.');
    return found;
  };
  const findRole = (roleId: unknown): RoleView => {
    const found = shell.roles.find((r) => r.id === roleId);
    if (!found) throw failure('not_found', 'This role no longer exists.');
    return found;
  };
  /** Like the shell: a queue's operators are its users plus the users of its roles. */
  const recountOperators = (q: QueueView) => {
    const ids = new Set<string>();
    for (const m of q.members) {
      if (m.kind === 'user') ids.add(m.id);
      else for (const id of shell.roles.find((r) => r.id === m.id)?.user_ids ?? []) ids.add(id);
    }
    q.operator_names = shell.operators.filter((o) => ids.has(o.id)).map((o) => o.name);
  };
  const findChannel = (channelId: unknown): ChannelView => {
    const found = shell.channels.find((c) => c.id === channelId);
    if (!found) throw failure('not_found', 'This channel no longer exists.');
    return found;
  };
  /** Like the shell: a token is checked with getMe before anything is stored. */
  const botName = (token: unknown): string => {
    const name = shell.bots.get(String(token ?? '').trim());
    if (name === undefined) throw failure('invalid_input', 'Telegram rejected this token: check it with @BotFather.');
    return name;
  };
  const memberArgs = (args: Record<string, unknown>) => {
    const kind = args['kind'];
    if (kind !== 'user' && kind !== 'role') throw failure('invalid_input', 'A member is a user or a role.');
    return { q: findQueue(args['queueId']), kind: kind as MemberKind, id: String(args['memberId']) };
  };

  return (cmd, args) => {
    switch (cmd) {
      case 'list_channels':
        return structuredClone(shell.channels);
      case 'list_queues':
        return structuredClone(shell.queues);
      case 'create_queue': {
        const input = args['queue'] as { name: string; rule: QueueView['rule']; completion_timeout_min: number | null };
        const name = input.name.trim();
        if (name === '') throw failure('invalid_input', 'Enter a name for the queue.');
        if (shell.queues.some((q) => q.name.toLowerCase() === name.toLowerCase())) {
          throw failure('invalid_input', `A queue named "${name}" already exists.`);
        }
        const minutes = input.completion_timeout_min;
        if (minutes !== null && (!Number.isInteger(minutes) || minutes < 1)) {
          throw failure('invalid_input', 'The completion timeout must be a whole number of minutes.');
        }
        const created = queue({
          id: `q${ctx.nextId()}`,
          name,
          rule: input.rule,
          completion_timeout_min: minutes,
          operator_names: [],
          members: [],
        });
        shell.queues.push(created);
        return structuredClone(created);
      }
      case 'update_queue': {
        const found = findQueue(args['queueId']);
        const input = args['queue'] as { name: string; rule: QueueView['rule']; completion_timeout_min: number | null };
        const name = input.name.trim();
        if (name === '') throw failure('invalid_input', 'Enter a name for the queue.');
        if (shell.queues.some((q) => q.id !== found.id && q.name.toLowerCase() === name.toLowerCase())) {
          throw failure('invalid_input', `A queue named "${name}" already exists.`);
        }
        if (input.rule !== 'to_all' && input.rule !== 'freest') throw failure('invalid_input', 'Unknown routing rule.');
        const minutes = input.completion_timeout_min;
        if (minutes !== null && (!Number.isInteger(minutes) || minutes < 1 || minutes > 10080)) {
          throw failure('invalid_input', 'The completion timeout must be a whole number of minutes from 1 to 10080.');
        }
        found.name = name;
        found.rule = input.rule;
        found.completion_timeout_min = minutes;
        return structuredClone(found);
      }
      case 'list_operators':
        return structuredClone(shell.operators);
      case 'add_queue_member': {
        const { q, kind, id } = memberArgs(args);
        const name =
          kind === 'user' ? shell.operators.find((o) => o.id === id)?.name : shell.roles.find((r) => r.id === id)?.name;
        if (name === undefined) throw failure('not_found', `This ${kind} no longer exists.`);
        if (q.members.some((m) => m.kind === kind && m.id === id)) {
          throw failure('conflict', `${name} already serves this queue.`);
        }
        q.members.push({ kind, id, name });
        recountOperators(q);
        return structuredClone(q);
      }
      case 'remove_queue_member': {
        const { q, kind, id } = memberArgs(args);
        q.members = q.members.filter((m) => !(m.kind === kind && m.id === id));
        recountOperators(q);
        return structuredClone(q);
      }
      case 'list_roles':
        return structuredClone(shell.roles);
      case 'create_role': {
        const name = String(args['name'] ?? '').trim();
        if (name === '') throw failure('invalid_input', 'Enter a name for the role.');
        if (shell.roles.some((r) => r.name.toLowerCase() === name.toLowerCase())) {
          throw failure('invalid_input', `A role named "${name}" already exists.`);
        }
        const created = role({ id: `r${ctx.nextId()}`, name });
        shell.roles.push(created);
        return structuredClone(created);
      }
      case 'set_role_member': {
        const found = findRole(args['roleId']);
        const user = shell.operators.find((o) => o.id === args['userId']);
        if (!user) throw failure('not_found', 'This user no longer exists.');
        const ids = new Set(found.user_ids);
        if (args['member'] === true) ids.add(user.id);
        else ids.delete(user.id);
        const holders = shell.operators.filter((o) => ids.has(o.id));
        found.user_ids = holders.map((o) => o.id);
        found.user_names = holders.map((o) => o.name);
        for (const q of shell.queues) if (q.members.some((m) => m.kind === 'role' && m.id === found.id)) recountOperators(q);
        return structuredClone(found);
      }
      case 'get_settings':
        return structuredClone(shell.settings);
      case 'update_settings': {
        const next = args['settings'] as WorkspaceSettings;
        const whole = (n: unknown, lo: number, hi: number) =>
          typeof n === 'number' && Number.isInteger(n) && n >= lo && n <= hi;
        if (!whole(next.simultaneous_chats, 1, 50)) {
          throw failure('invalid_input', 'Simultaneous chats must be a whole number from 1 to 50.');
        }
        if (!whole(next.accept_timeout_min, 1, 120)) {
          throw failure('invalid_input', 'The accept timeout must be a whole number of minutes from 1 to 120.');
        }
        shell.settings = { simultaneous_chats: next.simultaneous_chats, accept_timeout_min: next.accept_timeout_min };
        shell.me.capacity = next.simultaneous_chats;
        return structuredClone(shell.settings);
      }
      case 'add_telegram_channel': {
        const input = args['channel'] as NewTelegramChannel;
        const name = botName(input.token);
        const target = input.queue_id === null ? shell.queues[0] : findQueue(input.queue_id);
        if (!target) throw failure('invalid_input', 'Create a queue first.');
        const created = channel({
          id: `ch${ctx.nextId()}`,
          name,
          health: 'starting',
          queue_id: target.id,
          queue_name: target.name,
        });
        shell.channels.push(created);
        return structuredClone(created);
      }
      case 'update_channel': {
        const found = findChannel(args['channelId']);
        const changes = args['changes'] as ChannelChanges;
        if (changes.name !== null) found.name = changes.name;
        if (changes.active !== null) {
          found.active = changes.active;
          found.health = changes.active ? 'starting' : 'stopped';
        }
        if (changes.queue_id !== null) {
          const target = findQueue(changes.queue_id);
          found.queue_id = target.id;
          found.queue_name = target.name;
        }
        if (changes.human_agent !== null) {
          if (found.provider !== 'messenger') throw failure('invalid_input', 'Only Messenger channels use the Human Agent tag.');
          found.human_agent = changes.human_agent;
        }
        if (changes.language !== null) {
          if (changes.language !== 'en' && changes.language !== 'ru') throw failure('invalid_input', 'Unknown language.');
          found.language = changes.language;
        }
        return structuredClone(found);
      }
      case 'replace_channel_token': {
        const found = findChannel(args['channelId']);
        botName(args['token']);
        found.health = 'starting';
        found.problem = null;
        found.health_reason = null;
        return structuredClone(found);
      }
      case 'restart_channel': {
        const found = findChannel(args['channelId']);
        found.health = 'starting';
        found.problem = null;
        found.health_reason = null;
        return structuredClone(found);
      }
      default:
        return UNHANDLED;
    }
  };
}
