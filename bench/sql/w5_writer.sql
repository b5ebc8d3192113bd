\set k random(0, 1000000000)
INSERT INTO events VALUES (:k, 'w');
