/**
 * Tenant schemas with constraints PostgreSQL derives itself (pg_constraint.conparentid <> 0), whose own
 * names a pg_dump/pg_restore round trip does not keep.
 *
 * RENUMBERED: a foreign key into a partitioned table gets one derived copy per referenced partition,
 * named `…_fkey1`, `…_fkey2` in creation order. customers_us exists before the key (`…_fkey1`),
 * customers_eu is created after it (`…_fkey2`); a restore creates the key after every partition and
 * numbers them the other way round. order_lines_1 had its own equivalent key before ATTACH PARTITION
 * and keeps its own name; a restore gives it the parent's.
 */
export const RENUMBERED = `
  create table customers (id int, region text, primary key (id, region)) partition by list (region);
  create table customers_us partition of customers for values in ('us');
  create table orders (id int primary key, customer_id int, region text,
    foreign key (customer_id, region) references customers);
  create table customers_eu partition of customers for values in ('eu');
  create table order_lines (order_id int references orders, n int not null) partition by range (n);
  create table order_lines_1 (order_id int constraint order_lines_1_own_fk references orders, n int not null);
  alter table order_lines attach partition order_lines_1 for values from (0) to (100);
  insert into customers values (1, 'us'), (2, 'eu');
  insert into orders values (1, 1, 'us'), (2, 2, 'eu');
  insert into order_lines values (1, 5), (2, 7);`;

/**
 * SETTLED: derived constraints a restore names exactly as the source has them (every partition exists
 * before the key, the partitions' keys come from their parent's) — a backup the old naming verified.
 */
export const SETTLED = `
  create table customers (id int, region text, primary key (id, region)) partition by list (region);
  create table customers_eu partition of customers for values in ('eu');
  create table customers_us partition of customers for values in ('us');
  create table orders (id int primary key, customer_id int, region text,
    foreign key (customer_id, region) references customers);
  create table order_lines (order_id int references orders, n int not null) partition by range (n);
  create table order_lines_1 partition of order_lines for values from (0) to (100);
  insert into customers values (1, 'us'), (2, 'eu');
  insert into orders values (1, 1, 'us'), (2, 2, 'eu');
  insert into order_lines values (1, 5), (2, 7);`;
