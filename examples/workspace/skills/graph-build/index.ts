import { createEntities, createRelations } from '../../servers/memory';

export interface Fact {
  subject: string;
  subjectType: string;
  relation: string;
  object: string;
  objectType: string;
}

/** Creates the entities and relations of `facts` in the knowledge graph. */
export async function addFacts(input: { facts: Fact[]; notes?: Record<string, string[]> }): Promise<{ entities: number; relations: number }> {
  input.facts.forEach((fact, i) => {
    if (!fact.subject || !fact.relation || !fact.object) throw new Error(`fact ${i} needs a subject, a relation and an object`);
  });
  const types = new Map<string, string>();
  for (const fact of input.facts) {
    if (!types.has(fact.subject)) types.set(fact.subject, fact.subjectType);
    if (!types.has(fact.object)) types.set(fact.object, fact.objectType);
  }
  const entities = [...types.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, entityType]) => ({ name, entityType, observations: input.notes?.[name] ?? [] }));
  const created = (await createEntities({ entities })) as { entities: unknown[] };
  const relations = input.facts.map((f) => ({ from: f.subject, to: f.object, relationType: f.relation }));
  const linked = (await createRelations({ relations })) as { relations: unknown[] };
  return { entities: created.entities.length, relations: linked.relations.length };
}
