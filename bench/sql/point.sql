\set k random(0, :nkeys - 1)
SELECT v, s FROM kv WHERE id = :k;
