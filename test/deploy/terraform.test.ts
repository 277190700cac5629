/**
 * terraform/ checked without AWS, Vault or the Terraform registry (none reachable here):
 * every file parses as HCL (python-hcl2), `terraform fmt` finds nothing to change,
 * Checkov finds no failed check and every skip carries its reason, and the three
 * identities' policies grant exactly their part of the lake.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { configLeaves, configSchema } from '../../core/config/index.js';
import { CONSOLIDATED_TAG } from '../../core/lake/index.js';
import { ROOT, run, tools, which } from './tools.js';

const TF_DIR = join(ROOT, 'terraform');
type Hcl = Record<string, unknown>;

/** python-hcl2 wraps attribute values in one-element lists; this takes them out. */
/** Terraform's interpolation of an expression, as the parsed HCL carries it: interpolation('var.x') is "${var.x}". */
const interpolation = (expression: string): string => `\${${expression}}`;

function one<T = unknown>(value: unknown): T {
  return (Array.isArray(value) && value.length === 1 ? value[0] : value) as T;
}

function parseHcl(files: string[]): { status: number | null; parsed: Record<string, Hcl>; stderr: string } {
  const result = run(tools.python, [join(ROOT, 'scripts/deploy/hcl2json.py'), ...files]);
  return { status: result.status, parsed: result.status === 0 ? (JSON.parse(result.stdout) as Record<string, Hcl>) : {}, stderr: result.stderr };
}

let tf: Record<string, Hcl>;
const tfFiles = readdirSync(TF_DIR)
  .filter((f) => f.endsWith('.tf'))
  .map((f) => join(TF_DIR, f));

/** All blocks of a kind (resource, data, variable ...) across files, as {type: {name: body}}. */
function blocks(kind: string): Record<string, Record<string, Hcl>> {
  const out: Record<string, Record<string, Hcl>> = {};
  for (const file of Object.values(tf)) {
    for (const entry of (file[kind] as Hcl[] | undefined) ?? []) {
      for (const [type, named] of Object.entries(entry)) {
        if (kind === 'variable' || kind === 'output') {
          out[kind] = { ...out[kind], [type]: named as Hcl };
          continue;
        }
        out[type] = { ...out[type], ...(named as Record<string, Hcl>) };
      }
    }
  }
  return out;
}

interface Grant {
  actions: string[];
  resources: string[];
  prefixes: string[];
}

function grants(policy: string): Grant[] {
  const doc = blocks('data').aws_iam_policy_document![policy]!;
  return (doc.statement as Hcl[]).map((statement) => {
    expect(one(statement.effect) ?? 'Allow', `${policy}: only Allow statements`).toBe('Allow');
    const conditions = (statement.condition as Hcl[] | undefined) ?? [];
    return {
      actions: one<string[]>(statement.actions),
      resources: one<string[]>(statement.resources),
      prefixes: conditions.filter((c) => one(c.variable) === 's3:prefix').flatMap((c) => one<string[]>(c.values)),
    };
  });
}

/** Object actions granted on keys under a lake prefix (local.raw_prefix, ...). */
function objectActions(policy: string, prefix: 'raw' | 'consolidated' | 'state'): string[] {
  return grants(policy)
    .filter((g) => g.resources.some((r) => r.includes(`\${local.${prefix}_prefix}`)))
    .flatMap((g) => g.actions)
    .sort();
}

function listablePrefixes(policy: string): string[] {
  return grants(policy)
    .filter((g) => g.actions.includes('s3:ListBucket'))
    .flatMap((g) => g.prefixes)
    .sort();
}

beforeAll(() => {
  const result = parseHcl(tfFiles);
  if (result.status !== 0) throw new Error(result.stderr);
  tf = result.parsed;
});

describe('terraform/', () => {
  it('parses as HCL, every .tf file (and a broken file is refused)', () => {
    expect(Object.keys(tf).sort()).toEqual(tfFiles.sort());
    expect(tfFiles.length).toBeGreaterThanOrEqual(8);
    const dir = mkdtempSync(join(tmpdir(), 'kots-hcl-'));
    writeFileSync(join(dir, 'broken.tf'), 'resource "aws_s3_bucket" "x" {\n  bucket = "a"\n');
    const broken = parseHcl([join(dir, 'broken.tf')]);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain('broken.tf: does not parse as HCL');
  });

  it('is formatted as `terraform fmt` writes it', () => {
    const terraform = which('terraform');
    expect(terraform, 'terraform is not on PATH (see scripts/deploy/install-tools.sh)').toBeDefined();
    const fmt = run(terraform!, ['fmt', '-check', '-recursive', '-diff', TF_DIR], { env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null' } });
    expect(fmt.stdout + fmt.stderr.replace(/[\s\S]*CLI configuration[\s\S]*?╵\n?/, '')).toBe('');
    expect(fmt.status).toBe(0);
  });

  it('documents, types and validates its variables; secrets are sensitive', () => {
    const variables = blocks('variable').variable!;
    expect(Object.keys(variables).length).toBeGreaterThanOrEqual(20);
    for (const [name, body] of Object.entries(variables)) {
      expect(String(one(body.description) ?? ''), `${name} has a description`).not.toBe('');
      expect(body.type, `${name} has a type`).toBeDefined();
      if (/password|api_key|secret/.test(name)) expect(one(body.sensitive), `${name} is sensitive`).toBe(true);
    }
    for (const name of ['bucket_name', 'raw_retention_days', 'aws_region', 'kafka_brokers', 'cities', 'vault_address'])
      expect(variables[name]!.validation, `${name} is validated`).toBeDefined();
    const example = readFileSync(join(TF_DIR, 'terraform.tfvars.example'), 'utf8');
    for (const [, name] of example.matchAll(/^([a-z_]+)\s*=/gm))
      expect(Object.keys(variables), `terraform.tfvars.example sets unknown ${name}`).toContain(name);
    for (const [name, body] of Object.entries(variables))
      if (body.default === undefined) expect(example, `terraform.tfvars.example sets required ${name}`).toMatch(new RegExp(`^${name}\\s*=`, 'm'));
  });

  it('hardens the lake bucket: versioning, KMS encryption, no public access, TLS only, raw/ expiry', () => {
    const r = blocks('resource');
    expect(one(one<Hcl>(r.aws_s3_bucket_versioning!.lake!.versioning_configuration).status)).toBe('Enabled');
    const sse = one<Hcl>(one<Hcl>(r.aws_s3_bucket_server_side_encryption_configuration!.lake!.rule).apply_server_side_encryption_by_default);
    expect(one(sse.sse_algorithm)).toBe('aws:kms');
    expect(one(r.aws_kms_key!.lake!.enable_key_rotation)).toBe(true);
    const block = r.aws_s3_bucket_public_access_block!.lake!;
    for (const key of ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets']) expect(one(block[key]), key).toBe(true);
    const bucketPolicy = blocks('data').aws_iam_policy_document!.lake_bucket!;
    const tls = (bucketPolicy.statement as Hcl[]).find((s) => one(s.sid) === 'DenyInsecureTransport')!;
    expect(one(tls.effect)).toBe('Deny');
    const condition = one<Hcl>(tls.condition);
    expect([one(condition.variable), one(condition.values)]).toEqual(['aws:SecureTransport', ['false']]);
    const rules = r.aws_s3_bucket_lifecycle_configuration!.lake!.rule as Hcl[];
    const raw = rules.find((rule) => one(rule.id) === 'expire-raw')!;
    // Only raw objects consolidation verified and tagged expire (lakehouse/consolidate.ts, CONSOLIDATED_TAG).
    const rawFilter = one<Hcl>(one<Hcl>(raw.filter).and);
    expect(one(rawFilter.prefix)).toBe(interpolation('local.raw_prefix'));
    expect(one(rawFilter.tags)).toEqual({ [CONSOLIDATED_TAG.key]: CONSOLIDATED_TAG.value });
    expect(one(one<Hcl>(raw.expiration).days)).toBe(interpolation('var.raw_retention_days'));
  });

  it('gives each identity only its part of the lake', () => {
    // consumer: writes raw/ (and its own _state/ bookkeeping), reads no lake data
    expect(objectActions('consumer', 'raw')).toEqual(['s3:AbortMultipartUpload', 's3:PutObject']);
    expect(objectActions('consumer', 'consolidated')).toEqual([]);
    expect(listablePrefixes('consumer')).toEqual([`${interpolation('local.state_prefix')}*`]);
    // consolidation: reads, tags (once verified) and deletes raw/, writes consolidated/
    expect(objectActions('consolidation', 'raw')).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:PutObjectTagging']);
    expect(objectActions('consolidation', 'consolidated')).toEqual(expect.arrayContaining(['s3:PutObject']));
    expect(objectActions('consolidation', 'state')).toEqual([]);
    expect(listablePrefixes('consolidation')).toEqual([`${interpolation('local.consolidated_prefix')}*`, `${interpolation('local.raw_prefix')}*`]);
    // analyst (and MotherDuck): reads consolidated/ only
    expect(objectActions('analyst', 'consolidated')).toEqual(['s3:GetObject']);
    expect(objectActions('analyst', 'raw')).toEqual([]);
    expect(objectActions('analyst', 'state')).toEqual([]);
    expect(listablePrefixes('analyst')).toEqual([`${interpolation('local.consolidated_prefix')}*`]);
    for (const identity of ['consumer', 'consolidation', 'analyst']) {
      for (const grant of grants(identity)) {
        expect(
          grant.actions.some((a) => a.includes('*')),
          `${identity}: no wildcard action`,
        ).toBe(false);
        expect(grant.resources.includes('*'), `${identity}: no wildcard resource`).toBe(false);
        if (grant.actions.includes('s3:ListBucket')) expect(grant.prefixes.length, `${identity}: listing is limited by prefix`).toBeGreaterThan(0);
      }
    }
    expect(Object.keys(blocks('resource').aws_iam_group_policy_attachment!)).toEqual(['kots']);
    expect(blocks('resource').aws_iam_user_policy_attachment).toBeUndefined();
  });

  it('writes to Vault the settings kots reads at its default paths (<prefix>/<identity>/<section>#<key>)', () => {
    const vault = readFileSync(join(TF_DIR, 'vault.tf'), 'utf8');
    const leaves = new Set(configLeaves(configSchema).map((leaf) => leaf.path.join('.')));
    const written: Record<string, string[]> = {
      lake: ['bucket', 'region', 'prefix', 'accessKeyId', 'secretAccessKey'],
      kafka: ['brokers', 'saslMechanism', 'saslUsername', 'saslPassword'],
      agent: ['openweatherApiKey'],
      up: ['cities'],
    };
    for (const [section, keys] of Object.entries(written)) {
      for (const key of keys) {
        expect(leaves, `${section}.${key} is a kots setting`).toContain(`${section}.${key}`);
        expect(vault).toMatch(new RegExp(`\\b${key}\\s*=`));
      }
    }
    for (const path of [`"${interpolation('id')}/lake"`, '"consumer/kafka"', '"bridge/kafka"', '"agent/agent"', '"agent/up"']) expect(vault).toContain(path);
    expect(one(blocks('resource').vault_kv_secret_v2!.kots!.mount)).toBe(interpolation('var.vault_kv_mount'));
  });

  it('loads the Kestra flows of kestra/ with fileset', () => {
    const variables = blocks('variable').variable!;
    expect(existsSync(resolve(TF_DIR, String(one(variables.kestra_flows_dir!.default))))).toBe(true);
    expect(readFileSync(join(TF_DIR, 'kestra.tf'), 'utf8')).toMatch(/fileset\(local\.kestra_flows_path, "\*\*\/\*\.\{yml,yaml\}"\)/);
  });
});

describe('Checkov', () => {
  interface CheckovReport {
    check_type: string;
    summary: { passed: number; failed: number; skipped: number; parsing_errors: number };
    results: {
      failed_checks?: Array<{ check_id: string; resource: string; file_path: string }>;
      skipped_checks?: Array<{ check_id: string; resource: string; check_result: { suppress_comment?: string } }>;
    };
  }

  function checkov(args: string[]): CheckovReport {
    // --skip-download: no calls to the vendor's platform (no network here, and none wanted in CI).
    const result = run(tools.checkov, [...args, '-o', 'json', '--skip-download', '--compact'], { env: { ...process.env, LOG_LEVEL: 'WARNING' } });
    const reports = JSON.parse(result.stdout) as CheckovReport | CheckovReport[];
    return Array.isArray(reports) ? reports[0]! : reports;
  }

  it('finds no failed check in terraform/, and every skip says why', () => {
    const report = checkov(['-d', TF_DIR, '--framework', 'terraform']);
    expect(report.summary.parsing_errors).toBe(0);
    expect(report.results.failed_checks ?? []).toEqual([]);
    expect(report.summary.passed).toBeGreaterThan(50);
    for (const skip of report.results.skipped_checks ?? [])
      expect((skip.check_result.suppress_comment ?? '').trim().length, `${skip.check_id} on ${skip.resource} is skipped without a reason`).toBeGreaterThan(40);
  });

  it('finds no failed check in the Dockerfile', () => {
    const report = checkov(['-f', join(ROOT, 'Dockerfile'), '--framework', 'dockerfile']);
    expect(report.results.failed_checks ?? []).toEqual([]);
    expect(report.summary.passed).toBeGreaterThan(10);
  });
});
