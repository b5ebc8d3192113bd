\set k random(0, 1000000000)
INSERT INTO ins VALUES (:k, :client_id, 'x');
