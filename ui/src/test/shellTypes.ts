// The fake shell's shape: what a test can read, change and assert on.

import type {
  AttachmentData,
  ChannelView,
  ChatSummary,
  ErrorCode,
  FacebookLogin,
  MessageView,
  MessengerWebhook,
  MyStatus,
  OperatorLogin,
  OperatorView,
  PageChoice,
  QueueView,
  ReplyWindow,
  RoleView,
  RoutingEntry,
  SharedDatabaseView,
  WorkspaceSettings,
} from '../generated/ipc';

/** What the fake keeps of the Facebook app; the secret stays here, as it stays in the keychain. */
export interface FakeFacebookApp {
  app_id: string;
  app_secret: string | null;
  /** Empty: the default. */
  redirect_uri: string;
}

/** A login the fake shared database accepts, and who it is. */
export interface FakeDatabaseAccount {
  address: string;
  user: string;
  password: string;
  operator_name: string;
  is_admin: boolean;
}

export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}


export type Handler = (args: Record<string, unknown>) => unknown;

/** What the fake knows about the operator at this desk; `active_chats` is counted from `chats`. */
export type FakeMe = Omit<MyStatus, 'active_chats'>;

export interface FakeShell {
  chats: ChatSummary[];
  messages: Map<string, MessageView[]>;
  channels: ChannelView[];
  me: FakeMe;
  queues: QueueView[];
  /** Every operator of the workspace, this desk's included. */
  operators: OperatorView[];
  explanations: Map<string, RoutingEntry[]>;
  roles: RoleView[];
  settings: WorkspaceSettings;
  /** Bot tokens Telegram would accept, with the bot's name. */
  bots: Map<string, string>;
  /** Bytes of stored attachments, by attachment id. */
  files: Map<string, AttachmentData>;
  facebook: FakeFacebookApp;
  /** The pages the next Facebook Login answers with. */
  facebookPages: PageChoice[];
  /** Messenger reply windows by chat id (read_chat answers `null` for the others). */
  windows: Map<string, ReplyWindow>;
  /** Customers' profile pictures (data: URLs) by chat id. */
  pictures: Map<string, string>;
  webhook: MessengerWebhook;
  /** Pages whose connection fails, with the sentence the shell gives. */
  facebookFailures: Map<string, string>;
  /** When true, `start_facebook_login` waits for `finishFacebookLogin` or `cancel_facebook_login`. */
  holdFacebookLogin: boolean;
  /** Ends a held login: with the pages (default) or another outcome; an Error rejects it. */
  finishFacebookLogin: (outcome?: FacebookLogin | { code: ErrorCode; message: string; details: null }) => void;
  /** What `shared_database` answers (the mode, connection and pending count). */
  database: SharedDatabaseView;
  /** Logins the shared database accepts. */
  databaseAccounts: FakeDatabaseAccount[];
  databaseServer: { server_version: string; encrypted: boolean };
  /** The shared database's password as the keychain holds it after Connect. */
  databasePassword: string | null;
  /** Operators of the shared database with their logins (`list_operator_logins`). */
  operatorLogins: OperatorLogin[];
  /** Whether this desk's login is an admin's: otherwise the login commands are forbidden. */
  operatorLoginsAdmin: boolean;
  calls: Call[];
  callsOf: (cmd: string) => Call[];
  /** Replaces a command's behaviour (throw to reject). */
  override: (cmd: string, handler: Handler) => void;
  emitChatsChanged: (chatIds: string[]) => Promise<void>;
  emitChannelsChanged: () => Promise<void>;
  /** Changes the database view (mode, connection, pending count…) and emits `database-changed`. */
  emitDatabaseChanged: (changes?: Partial<SharedDatabaseView>) => Promise<void>;
}
