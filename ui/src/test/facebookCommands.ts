// The fake shell's Facebook commands: the app settings (the secret kept here, as in the keychain),
// Facebook Login (answered at once, or held until `finishFacebookLogin`) and connecting pages.

import type {
  ConnectPages,
  ErrorCode,
  FacebookLogin,
  FacebookSettings,
  FacebookSettingsUpdate,
  PageConnection,
} from '../generated/ipc';
import { channel, DEFAULT_REDIRECT_URI } from './fixtures';
import { type Commands, failure, type ShellContext, UNHANDLED } from './shellContext';

export type LoginOutcome = FacebookLogin | { code: ErrorCode; message: string; details: null };

export interface FacebookCommands {
  commands: Commands;
  /** Ends a held login: with the pages (default) or another outcome; an Error rejects it. */
  finishLogin: (outcome?: LoginOutcome) => void;
}

export function facebookCommands(ctx: ShellContext): FacebookCommands {
  const { shell } = ctx;
  let loginId: string | null = null;
  let pendingLogin: ((outcome: unknown) => void) | null = null;
  const pagesOutcome = (): FacebookLogin => {
    loginId = `login-${ctx.nextId()}`;
    return { status: 'pages', login_id: loginId, pages: structuredClone(shell.facebookPages) };
  };
  const finishLogin = (outcome?: LoginOutcome) => {
    const finish = pendingLogin;
    pendingLogin = null;
    finish?.(outcome ?? pagesOutcome());
  };
  const facebookView = (): FacebookSettings => ({
    app_id: shell.facebook.app_id,
    app_secret_set: shell.facebook.app_secret !== null,
    redirect_uri: shell.facebook.redirect_uri || DEFAULT_REDIRECT_URI,
    default_redirect_uri: DEFAULT_REDIRECT_URI,
  });
  const connectPage = (pageId: string): PageConnection => {
    const found = shell.facebookPages.find((p) => p.id === pageId);
    const pageName = found?.name ?? pageId;
    const refusal = found ? shell.facebookFailures.get(pageId) : 'This page was not offered by this login.';
    if (refusal !== undefined) {
      return { page_id: pageId, page_name: pageName, channel: null, refreshed: false, error: failure('invalid_input', refusal) };
    }
    const existing = shell.channels.find((c) => c.id === found?.connected_channel_id);
    if (existing) {
      return { page_id: pageId, page_name: pageName, channel: structuredClone(existing), refreshed: true, error: null };
    }
    const target = shell.queues[0];
    const created = channel({
      id: `ch${ctx.nextId()}`,
      provider: 'messenger',
      name: pageName,
      active: false,
      health: 'stopped',
      queue_id: target?.id ?? '',
      queue_name: target?.name ?? '',
      external_id: pageId,
    });
    shell.channels.push(created);
    return { page_id: pageId, page_name: pageName, channel: structuredClone(created), refreshed: false, error: null };
  };

  const commands: Commands = (cmd, args) => {
    switch (cmd) {
      case 'get_facebook_settings':
        return facebookView();
      case 'update_facebook_settings': {
        const next = args['settings'] as FacebookSettingsUpdate;
        if (!/^\d*$/.test(next.app_id.trim())) throw failure('invalid_input', 'The App ID is a number.');
        const redirect = (next.redirect_uri ?? '').trim();
        if (redirect !== '' && !/^https:\/\/\S+$/.test(redirect)) {
          throw failure('invalid_input', 'The redirect URI must be an https:// address.');
        }
        shell.facebook.app_id = next.app_id.trim();
        if (next.app_secret !== null) shell.facebook.app_secret = next.app_secret;
        shell.facebook.redirect_uri = redirect === DEFAULT_REDIRECT_URI ? '' : redirect;
        return facebookView();
      }
      case 'start_facebook_login': {
        if (shell.facebook.app_id === '' || shell.facebook.app_secret === null) {
          throw failure('invalid_input', 'Fill in the Facebook App ID and App secret first.');
        }
        if (pendingLogin !== null) throw failure('conflict', 'Facebook Login is already open.');
        if (!shell.holdFacebookLogin) return pagesOutcome();
        return new Promise((resolve, reject) => {
          pendingLogin = (outcome) => {
            if (typeof outcome === 'object' && outcome !== null && 'code' in outcome) reject(outcome);
            else resolve(outcome);
          };
        });
      }
      case 'cancel_facebook_login':
        shell.finishFacebookLogin({ status: 'cancelled' });
        return null;
      case 'connect_facebook_pages': {
        const request = args['request'] as ConnectPages;
        if (loginId === null || request.login_id !== loginId) {
          throw failure('conflict', 'This Facebook Login has expired: log in again.');
        }
        loginId = null;
        return request.page_ids.map(connectPage);
      }
      default:
        return UNHANDLED;
    }
  };
  return { commands, finishLogin };
}
