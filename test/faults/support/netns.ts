/**
 * Machines apart on one box: Linux network namespaces joined by veth links, with addresses in
 * 10.213.0.0/16 that exist only inside these namespaces (traffic never leaves the machine).
 * Needs root (CAP_NET_ADMIN); `available()` says whether namespaces can be made here.
 */
import { execFileSync } from 'node:child_process';

const run = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

export interface Link {
  /** namespace at the near end ('' = the root namespace, where the test runs) */
  a: string;
  b: string;
  ifA: string;
  ifB: string;
  addrA: string;
  addrB: string;
}

export class NetnsLab {
  readonly namespaces: string[] = [];
  readonly links: Link[] = [];
  private readonly tag = (process.pid % 100_000).toString(36);

  /** Whether namespaces can be made here (tries one and deletes it); the reason when not. */
  static available(): { ok: true } | { ok: false; reason: string } {
    const name = `yqf-probe-${process.pid}`;
    try {
      run('netns', 'add', name);
      run('netns', 'del', name);
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: String((error as { stderr?: Buffer }).stderr ?? error).trim() };
    }
  }

  namespace(role: string): string {
    const name = `yqf-${this.tag}-${role}`;
    run('netns', 'add', name);
    this.namespaces.push(name);
    run('-n', name, 'link', 'set', 'lo', 'up');
    return name;
  }

  /** A veth link between namespace a ('' = root) and b, with a /30 subnet 10.213.<subnet>.0. */
  link(a: string, b: string, subnet: number): Link {
    const ifA = `yq${this.tag}${subnet}a`;
    const ifB = `yq${this.tag}${subnet}b`;
    run('link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB);
    const link: Link = { a, b, ifA, ifB, addrA: `10.213.${subnet}.1`, addrB: `10.213.${subnet}.2` };
    this.links.push(link);
    if (a !== '') run('link', 'set', ifA, 'netns', a);
    run('link', 'set', ifB, 'netns', b);
    this.ip(a, 'addr', 'add', `${link.addrA}/30`, 'dev', ifA);
    this.ip(b, 'addr', 'add', `${link.addrB}/30`, 'dev', ifB);
    this.ip(a, 'link', 'set', ifA, 'up');
    this.ip(b, 'link', 'set', ifB, 'up');
    return link;
  }

  /** Cuts (or restores) a link at both ends. */
  setLink(link: Link, up: boolean): void {
    this.ip(link.a, 'link', 'set', link.ifA, up ? 'up' : 'down');
    this.ip(link.b, 'link', 'set', link.ifB, up ? 'up' : 'down');
  }

  /** The prefix that runs a command inside a namespace. */
  exec(ns: string): string[] {
    return ['ip', 'netns', 'exec', ns];
  }

  ip(ns: string, ...args: string[]): string {
    return ns === '' ? run(...args) : run('-n', ns, ...args);
  }

  /** Deletes every namespace (and with them their veth ends) and root-side veths. Never throws. */
  cleanup(): void {
    for (const link of this.links) {
      if (link.a === '') {
        try {
          run('link', 'del', link.ifA);
        } catch {
          // already gone with its peer
        }
      }
    }
    for (const ns of this.namespaces.splice(0)) {
      try {
        run('netns', 'del', ns);
      } catch {
        // already gone
      }
    }
  }
}
