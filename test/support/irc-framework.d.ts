/**
 * The small part of irc-framework (v4, CommonJS, untyped) the integration tests use.
 * Only what the tests touch is declared; event payloads list the fields read.
 */
declare module "irc-framework" {
  namespace IrcFramework {
    type Tags = Record<string, string>;

    interface ConnectOptions {
      host: string;
      port: number;
      nick: string;
      username?: string;
      gecos?: string;
      tls?: boolean;
      rejectUnauthorized?: boolean;
      auto_reconnect?: boolean;
      enable_echomessage?: boolean;
      enable_setname?: boolean;
      /** Seconds between the client's own PINGs; 0 turns them off. */
      ping_interval?: number;
      ping_timeout?: number;
      outgoing_addr?: string;
    }

    interface SourceFields {
      nick: string;
      ident: string;
      hostname: string;
      tags: Tags;
      time?: number;
    }

    interface MessageEvent extends SourceFields {
      target: string;
      message: string;
      type?: string;
    }

    interface JoinEvent extends SourceFields {
      channel: string;
      gecos: string;
      /** With extended-join: the account, or false for none. */
      account?: string | false;
    }

    interface NamesUser {
      nick: string;
      ident: string;
      hostname: string;
      modes: string[];
    }

    interface ModeChange {
      mode: string;
      param?: string;
    }

    interface WhoisEvent {
      nick: string;
      ident?: string;
      hostname?: string;
      real_name?: string;
      channels?: string;
      server?: string;
      server_info?: string;
      secure?: boolean;
      operator?: string;
      away?: string;
      idle?: string;
      logon?: string;
      error?: string;
    }

    interface WhoUser {
      nick: string;
      ident: string;
      hostname: string;
      server: string;
      real_name: string;
      account: string;
      channel: string;
      away: boolean;
      operator: boolean;
      channel_modes: string[];
    }

    interface ClientEvents {
      registered: { nick: string };
      join: JoinEvent;
      part: SourceFields & { channel: string; message: string };
      quit: SourceFields & { message: string };
      kick: SourceFields & { channel: string; kicked: string; message: string };
      nick: SourceFields & { new_nick: string };
      privmsg: MessageEvent;
      notice: MessageEvent & { from_server: boolean };
      message: MessageEvent;
      tagmsg: SourceFields & { target: string };
      topic: { channel: string; topic: string; nick?: string };
      mode: { target: string; nick: string; modes: ModeChange[]; raw_modes: string; raw_params: string[] };
      userlist: { channel: string; users: NamesUser[] };
      whois: WhoisEvent;
      invite: SourceFields & { invited: string; channel: string };
      away: { self: boolean; nick: string; message: string };
      "irc error": { error: string; reason?: string; nick?: string; channel?: string };
      "nick in use": { nick: string; reason: string };
      "users online": { nicks: string[] };
      raw: { line: string; from_server: boolean };
      close: boolean;
    }

    class Client {
      constructor(options?: Partial<ConnectOptions>);
      readonly user: { nick: string; username: string; host?: string };
      readonly network: { cap: { enabled: string[]; isEnabled(cap: string): boolean }; supports(name: string): string | boolean | undefined };
      readonly connection: { connected: boolean };
      connect(options: ConnectOptions): void;
      requestCap(cap: string | string[]): void;
      on<K extends keyof ClientEvents>(event: K, listener: (event: ClientEvents[K]) => void): this;
      once<K extends keyof ClientEvents>(event: K, listener: (event: ClientEvents[K]) => void): this;
      removeListener<K extends keyof ClientEvents>(event: K, listener: (event: ClientEvents[K]) => void): this;
      raw(...args: Array<string | number>): void;
      say(target: string, message: string, tags?: Tags): void;
      notice(target: string, message: string, tags?: Tags): void;
      tagmsg(target: string, tags: Tags): void;
      join(channel: string, key?: string): void;
      part(channel: string, message?: string): void;
      changeNick(nick: string): void;
      setTopic(channel: string, topic: string): void;
      mode(target: string, mode: string, extra?: string | string[]): void;
      invite(channel: string, nick: string): void;
      whois(nick: string, callback?: (event: WhoisEvent) => void): void;
      /** Sends WHO (as WHOX with a token when the server says WHOX) and calls back with the parsed list. */
      who(target: string, callback: (event: { target: string; users: WhoUser[] }) => void): void;
      quit(message?: string): void;
    }
  }

  export = IrcFramework;
}
