SELECT 'fact', count(*), sum(id), sum(dim_id), sum(customer), sum(qty), sum(price_cents),
       sum(CAST(day - DATE '2020-01-01' AS BIGINT)), sum(length(note)) FROM fact;
SELECT 'dim', count(*), sum(id), sum(length(region)), sum(length(segment)), sum(length(name)) FROM dim;
SELECT 'kv', count(*), sum(id), sum(v), sum(length(s)) FROM kv;
