/** The `Skills-Provenance` request header of a publish: bounded, printable, parsed by its schema. */
import { SkillsError } from '../schema/errors';
import { MAX_PROVENANCE_BYTES, PROVENANCE_HEADER, provenanceSchema, type Provenance } from '../schema/registry';

const HINT = `send ${PROVENANCE_HEADER} as JSON such as {"type":"git","url":"https://host/repo","commit":"<40 hex>","path":""}, at most ${MAX_PROVENANCE_BYTES} bytes, non-ASCII escaped as \\uXXXX`;

export function parseProvenance(value: string | undefined): Provenance | undefined {
  if (value === undefined) return undefined;
  const fail = (why: string) => new SkillsError('EPROVENANCE', `the ${PROVENANCE_HEADER} header ${why}`, { status: 400, hint: HINT });
  if (value.length > MAX_PROVENANCE_BYTES) throw fail(`is ${value.length} bytes; the limit is ${MAX_PROVENANCE_BYTES}`);
  // Header bytes arrive as latin1: anything but printable ASCII would be stored garbled.
  if (!/^[\x20-\x7e]*$/.test(value)) throw fail('contains bytes other than printable ASCII');
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw fail('is not JSON');
  }
  const parsed = provenanceSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw fail(`is not a provenance: ${issue ? `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}` : 'invalid'}`.slice(0, 300));
  }
  return parsed.data;
}
