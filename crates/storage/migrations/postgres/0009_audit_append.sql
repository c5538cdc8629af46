-- The database appends to the audit chain itself, so that a write and its audit entries can be
-- one statement: one round trip, committed on its own, instead of a transaction of several.
-- The hash is the one `AuditEntry::compute_hash` (domain crate) makes, byte for byte: a test
-- holds the two to each other, and every check of the chain recomputes these hashes in Rust.

-- SHA-256, in lower-case hex, over the previous hash and every field of the entry in order,
-- each as its length in UTF-8 bytes, a colon, the value and a semicolon; a missing one is "-;".
-- (PL/pgSQL, not SQL: an SQL function called from PL/pgSQL with computed arguments is not
-- inlined, and running one field at a time through it cost a quarter of a millisecond a hash.)
CREATE FUNCTION audit_entry_hash(
    prev_hash text, seq bigint, at text, actor_user_id text, actor_agency_id text,
    action text, entity_kind text, entity_id text, purpose text, request_id text
) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    encoded text := '';
    v text;
BEGIN
    FOREACH v IN ARRAY ARRAY[prev_hash, seq::text, at, actor_user_id, actor_agency_id, action,
                             entity_kind, entity_id, purpose, request_id] LOOP
        encoded := encoded || CASE WHEN v IS NULL THEN '-;'
            ELSE octet_length(convert_to(v, 'UTF8'))::text || ':' || v || ';' END;
    END LOOP;
    RETURN encode(sha256(convert_to(encoded, 'UTF8')), 'hex');
END;
$$;

-- Appends `entries`, a JSON array of objects each with the fields of an audit event and its
-- time (`at`), to the chain in order: takes the head's row lock, numbers and hashes each entry
-- after the one before, inserts them all at once and moves the head. The lock is held until
-- the transaction ends, so concurrent appends take their numbers one at a time and the chain
-- has no gaps. Returns the new head's number. (The array is read into rows once for the hashes
-- and once for the INSERT: taking fields from a `json` value one at a time parses it each time.)
CREATE FUNCTION audit_append(entries json) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    head_seq bigint;
    head_hash text;
    e record;
    hashes text[];
BEGIN
    SELECT h.seq, h.hash INTO head_seq, head_hash FROM audit_head h WHERE h.id = 1 FOR UPDATE;
    hashes := ARRAY[head_hash];
    FOR e IN SELECT x.* FROM ROWS FROM (json_to_recordset(entries) AS (
                 at text, actor_user_id text, actor_agency_id text, action text,
                 entity_kind text, entity_id text, purpose text, request_id text))
             WITH ORDINALITY AS x(at, actor_user_id, actor_agency_id, action, entity_kind,
                                  entity_id, purpose, request_id, n)
             ORDER BY x.n LOOP
        head_hash := audit_entry_hash(head_hash, head_seq + e.n, e.at, e.actor_user_id,
            e.actor_agency_id, e.action, e.entity_kind, e.entity_id, e.purpose, e.request_id);
        hashes := hashes || head_hash;
    END LOOP;
    -- hashes[1] is the head before; entry n follows hashes[n] and has hashes[n + 1].
    INSERT INTO audit_log (seq, at, actor_user_id, actor_agency_id, action, entity_kind,
                           entity_id, purpose, request_id, prev_hash, hash)
    SELECT head_seq + x.n, x.at, x.actor_user_id, x.actor_agency_id, x.action, x.entity_kind,
           x.entity_id, x.purpose, x.request_id, hashes[x.n], hashes[x.n + 1]
    FROM ROWS FROM (json_to_recordset(entries) AS (
             at text, actor_user_id text, actor_agency_id text, action text,
             entity_kind text, entity_id text, purpose text, request_id text))
         WITH ORDINALITY AS x(at, actor_user_id, actor_agency_id, action, entity_kind,
                              entity_id, purpose, request_id, n);
    head_seq := head_seq + cardinality(hashes) - 1;
    UPDATE audit_head SET seq = head_seq, hash = head_hash WHERE id = 1;
    RETURN head_seq;
END;
$$;
