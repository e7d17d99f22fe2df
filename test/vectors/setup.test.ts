import { describe, expect, it } from 'vitest'
import { createVectorSetup } from '../../src/vectors/setup.js'
import { openSqlite } from '../helpers/databases.js'
import { testContext } from '../helpers/context.js'

describe('createVectorSetup', () => {
  it('is null without embeddings, Qdrant with its URL, else the embedded store', async () => {
    const t = await openSqlite()
    try {
      const plain = testContext(t.db)
      expect(createVectorSetup(plain)).toBeNull()
      const embeddings = { url: 'http://127.0.0.1:9/v1', model: 'bge-small' }
      const qdrant = createVectorSetup({ ...plain, config: { ...plain.config, embeddings, qdrantUrl: 'http://127.0.0.1:6333' } })
      expect([qdrant?.store.name, qdrant?.store.key, qdrant?.embeddings.model]).toEqual(['qdrant', 'qdrant:crm_emails', 'bge-small'])
      const embedded = createVectorSetup({ ...plain, config: { ...plain.config, embeddings, qdrantUrl: null } })
      expect([embedded?.store.name, embedded?.store.key, embedded?.embeddings.model]).toEqual(['embedded', 'embedded', 'bge-small'])
    } finally {
      await t.close()
    }
  })
})
