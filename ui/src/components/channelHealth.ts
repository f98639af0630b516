import type { ChannelProblem, ChannelView } from '../generated/ipc';
import { t, type MessageKey } from '../i18n';

const problemKeys: Record<ChannelProblem, MessageKey> = {
  token_rejected: 'channels.problem.token_rejected',
  used_elsewhere: 'channels.problem.used_elsewhere',
  rate_limited: 'channels.problem.rate_limited',
  unreachable: 'channels.problem.unreachable',
  keychain: 'channels.problem.keychain',
  storage: 'channels.problem.storage',
  other: 'channels.problem.other',
};

/** The channel's health in a few words: its problem when it has one, else running / starting / stopped. */
export function healthWords(channel: ChannelView): string {
  if (channel.problem !== null) return t(problemKeys[channel.problem]);
  switch (channel.health) {
    case 'running':
      return t('channels.running');
    case 'starting':
      return t('channels.starting');
    case 'stopped':
      return t('channels.stopped');
    case 'error':
      return t('channels.error');
  }
}

/** Colour of the channel's dot and badge: a rate limit passes by itself, so it warns rather than alarms. */
export type HealthTone = 'running' | 'starting' | 'stopped' | 'error';

export function healthTone(channel: ChannelView): HealthTone {
  if (channel.problem === 'rate_limited') return 'starting';
  if (channel.problem !== null) return 'error';
  return channel.health;
}

/** What the admin can do about the channel's state: give a new token, try again, or nothing (it
 * resumes by itself, or nothing is wrong). */
export type HealthAction = 'replace_token' | 'reconnect' | 'restart' | null;

export function healthAction(channel: ChannelView): HealthAction {
  switch (channel.problem) {
    case 'token_rejected':
    case 'keychain':
      // A page's token comes from Facebook Login, not from a paste: run page selection again.
      return channel.provider === 'messenger' ? 'reconnect' : 'replace_token';
    case 'used_elsewhere':
    case 'unreachable':
    case 'storage':
    case 'other':
      return 'restart';
    case 'rate_limited':
      return null;
    case null:
      // An error without a named problem, or an active channel that stopped: starting it again is
      // the only thing to try.
      return channel.health === 'error' || (channel.active && channel.health === 'stopped') ? 'restart' : null;
  }
}
