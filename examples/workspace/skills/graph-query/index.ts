import { openNodes, searchNodes } from '../../servers/memory';

interface Entity {
  name: string;
  entityType: string;
  observations: string[];
}
interface Relation {
  from: string;
  to: string;
  relationType: string;
}
interface Graph {
  entities: Entity[];
  relations: Relation[];
}

export interface Link {
  direction: 'in' | 'out';
  relation: string;
  name: string;
  type: string;
}

/** The names and types of the entities matching `query`. */
export async function search(input: { query: string }): Promise<{ name: string; type: string }[]> {
  const graph = (await searchNodes({ query: input.query })) as Graph;
  return graph.entities.map((e) => ({ name: e.name, type: e.entityType })).sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** An entity with everything it is linked to. */
export async function neighbours(input: { entity: string }): Promise<{ entity: { name: string; type: string; observations: string[] }; links: Link[] }> {
  const own = (await openNodes({ names: [input.entity] })) as Graph;
  const entity = own.entities.find((e) => e.name === input.entity);
  if (!entity) throw new Error(`no entity named "${input.entity}" in the knowledge graph`);
  const related = own.relations.filter((r) => r.from === entity.name || r.to === entity.name);
  const otherNames = [...new Set(related.map((r) => (r.from === entity.name ? r.to : r.from)))].sort();
  const others = otherNames.length > 0 ? ((await openNodes({ names: otherNames })) as Graph).entities : [];
  const typeOf = new Map(others.map((e) => [e.name, e.entityType]));
  const links = related
    .map((r): Link => {
      const out = r.from === entity.name;
      const name = out ? r.to : r.from;
      return { direction: out ? 'out' : 'in', relation: r.relationType, name, type: typeOf.get(name) ?? 'unknown' };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.relation < b.relation ? -1 : 1));
  return { entity: { name: entity.name, type: entity.entityType, observations: entity.observations }, links };
}
