-- W1: the analytics mix. One pgbench "transaction" (and one in-process "op") is the whole
-- file: five queries over fact (N rows) and dim. Portable SQL: the same text runs on duckd,
-- PostgreSQL and in-process DuckDB.
SELECT d.region, count(*) AS n, sum(f.qty * f.price_cents) AS revenue
  FROM fact f JOIN dim d ON d.id = f.dim_id
  GROUP BY d.region ORDER BY d.region;
SELECT f.day, sum(f.qty) AS units, avg(f.price_cents) AS avg_price
  FROM fact f WHERE f.day >= DATE '2021-01-01' AND f.day < DATE '2021-04-01'
  GROUP BY f.day ORDER BY f.day;
SELECT dim_id, sum(qty * price_cents) AS revenue
  FROM fact GROUP BY dim_id ORDER BY revenue DESC, dim_id LIMIT 10;
SELECT d.segment, count(DISTINCT f.customer) AS customers
  FROM fact f JOIN dim d ON d.id = f.dim_id
  GROUP BY d.segment ORDER BY d.segment;
SELECT count(*) AS n, sum(price_cents) AS total
  FROM fact WHERE note LIKE 'item-12%';
