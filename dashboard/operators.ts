/**
 * Who may log in to the dashboard: users of the bridge's registry
 * (bridge/registry) with a login role (`dashboard.loginRoles`, operators by
 * default), checked against their scrypt hash. The registry is the same one
 * the bridge reads, reloaded on change. A session remembers the credential
 * hash it logged in with (its grant), so revoking, demoting or removing a user
 * and rotating their password all end their sessions: the server re-checks
 * every request and every open event stream against the registry in force.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { verifyCredential } from '../bridge/registry/credentials.js';
import type { Registry, UserRole } from '../bridge/registry/registry.js';
import { registrySourceFromConfig } from '../bridge/registry/index.js';
import { FileRegistrySource, type RegistrySource } from '../bridge/registry/sources.js';
import type { KotsConfig } from '../core/config/index.js';
import { errorMessage, KotsError } from '../core/errors.js';

export interface Operator {
  name: string;
  role: UserRole;
}

/** A successful login: who, and the grant (an opaque token of the credential used) its session keeps. */
export interface Login {
  operator: Operator;
  grant: string;
}

/** The small interface the server needs; tests and other registries can stand behind it. */
export interface OperatorDirectory {
  /** The login when the name and password match a login-allowed, unrevoked user; undefined otherwise. */
  verify(name: string, password: string): Promise<Login | undefined>;
  /** Whether a session may go on: the user is not removed, revoked or demoted, and its credential is the one it logged in with. */
  stillAllowed(name: string, grant: string): boolean;
  /** The login a one-time login link stands for, once; undefined for an unknown or used link. */
  redeemLoginLink?(token: string): Login | undefined;
  close(): void;
}

/**
 * One-time login links, the way Jupyter prints one: `kots up --dashboard-port` works out of the
 * box, without a registry, for whoever can read the terminal. A link logs in as the session
 * operator, which exists only in this process, and works once. Registry users (when a registry
 * is configured) log in with their password as before.
 */
export class LoginLinks implements OperatorDirectory {
  private readonly unused = new Set<string>();

  constructor(
    private readonly registry: OperatorDirectory | undefined,
    readonly sessionOperator: Operator = { name: 'session-operator', role: 'operator' },
  ) {}

  /** A fresh link token (192 random bits). */
  issue(): string {
    const token = randomBytes(24).toString('base64url');
    this.unused.add(token);
    return token;
  }

  /** The grant of link logins: one per process, so a restarted `kots up` ends the sessions of the last one. */
  private readonly linkGrant = randomBytes(16).toString('base64url');

  redeemLoginLink(token: string): Login | undefined {
    return this.unused.delete(token) ? { operator: this.sessionOperator, grant: this.linkGrant } : undefined;
  }

  async verify(name: string, password: string): Promise<Login | undefined> {
    return this.registry?.verify(name, password);
  }

  stillAllowed(name: string, grant: string): boolean {
    if (name === this.sessionOperator.name && grant === this.linkGrant) return true;
    return this.registry?.stillAllowed(name, grant) ?? false;
  }

  close(): void {
    this.registry?.close();
  }
}

/** A password check that costs the same whether or not the user exists, so timing does not tell names apart. */
const DUMMY_HASH = '$scrypt$ln=14,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export class RegistryOperators implements OperatorDirectory {
  private registry: Registry;

  private constructor(
    private readonly source: RegistrySource,
    initial: Registry,
    private readonly roles: readonly UserRole[],
    logger: Logger,
  ) {
    this.registry = initial;
    source.watch(
      (registry) => {
        this.registry = registry;
        logger.info({ registry: source.description }, 'dashboard: registry reloaded');
      },
      (error) => logger.error({ registry: source.description, err: errorMessage(error) }, 'dashboard: registry reload failed; the previous one stays in force'),
    );
  }

  static async open(source: RegistrySource, roles: readonly UserRole[], logger: Logger): Promise<RegistryOperators> {
    return new RegistryOperators(source, await source.load(), roles, logger);
  }

  async verify(name: string, password: string): Promise<Login | undefined> {
    const user = this.registry.user(name);
    const allowed = user !== undefined && !user.revoked && this.roles.includes(user.role);
    const match = await verifyCredential(password, allowed ? user.hash : DUMMY_HASH);
    // The registry may have changed while the password was being checked.
    return allowed && match && this.stillAllowed(user.name, user.hash) ? { operator: { name: user.name, role: user.role }, grant: user.hash } : undefined;
  }

  stillAllowed(name: string, grant: string): boolean {
    const user = this.registry.user(name);
    return user !== undefined && !user.revoked && this.roles.includes(user.role) && user.hash === grant;
  }

  close(): void {
    this.source.close();
  }
}

/**
 * The operator directory of the configured registry: dashboard.registryFile,
 * else the bridge's own (file or Vault). A dashboard without one refuses to start.
 */
export async function openOperatorDirectory(config: KotsConfig, logger: Logger): Promise<OperatorDirectory> {
  const directory = await openConfiguredOperators(config, logger);
  if (!directory) {
    throw new KotsError(
      'CONFIG_INVALID',
      'dashboard: no registry to check logins against. Set bridge.registryFile (or bridge.registryVaultPath, or dashboard.registryFile) to a registry holding a user with role ' +
        `${config.dashboard.loginRoles.join(' or ')} (see dashboard/README.md).`,
    );
  }
  return directory;
}

/** The registry's operators when a registry is configured; undefined otherwise. */
export async function openConfiguredOperators(config: KotsConfig, logger: Logger): Promise<OperatorDirectory | undefined> {
  const file = config.dashboard.registryFile;
  const source = file ? new FileRegistrySource(file, config.bridge.registryReloadSeconds * 1000) : registrySourceFromConfig(config);
  return source ? RegistryOperators.open(source, config.dashboard.loginRoles, logger) : undefined;
}
