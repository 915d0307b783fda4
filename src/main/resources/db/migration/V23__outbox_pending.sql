-- The relay's queue: the ids of events not yet published, written with each event and deleted once Kafka has it.
-- Marking the event row itself (published_at, in the predicate of a partial index) rewrote each event whole, its
-- payload and index entries included: as much write-ahead log as writing it (BENCHMARKS, stop 34). A row of this
-- table is a few bytes to write and to delete.
create table outbox_pending (
    id bigint primary key references outbox_events (id)
);
insert into outbox_pending (id) select id from outbox_events where published_at is null;
drop index outbox_unpublished;
alter table outbox_events drop column published_at;
