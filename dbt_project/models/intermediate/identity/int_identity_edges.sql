-- One row per undirected edge of the identity graph (node_id_a < node_id_b): two usable
-- identifiers (neither junk nor shared) seen on the same record, or an email and its
-- SHA-256 seen in ad data. Each record links its identifiers to the record's most
-- trusted one (a star, lowest identity_rules priority, then lowest node_id): the same
-- connectivity as linking every pair, with k-1 edges per record instead of k(k-1)/2.
with

record_identifiers as (

    select * from {{ ref('int_identity_record_identifiers') }}

),

identifiers as (

    select * from {{ ref('int_identity_identifiers') }}

),

rules as (

    select * from {{ ref('identity_rules') }}

),

priorities as (

    select
        identifier_type,
        min(priority) as priority
    from rules
    group by 1

),

-- junk and shared values: a few thousand, so the millions of record rows are matched
-- against them by node_id instead of joining every identifier by its string
unusable as (

    select node_id
    from identifiers
    where is_junk or is_shared

),

usable as (

    select
        node_id,
        identifier_type,
        identifier_value,
        email_sha256
    from identifiers
    where not is_junk and not is_shared

),

record_nodes as (

    select
        record_identifiers.record_id,
        record_identifiers.node_id,
        row_number() over (
            partition by record_identifiers.record_id
            order by priorities.priority, record_identifiers.node_id
        ) as rank_on_record
    from record_identifiers
    inner join priorities
        on record_identifiers.identifier_type = priorities.identifier_type
    left join unusable
        on record_identifiers.node_id = unusable.node_id
    where unusable.node_id is null

),

record_edges as (

    select
        hub.node_id as node_id_from,
        spoke.node_id as node_id_to
    from record_nodes as hub
    inner join record_nodes as spoke
        on
            hub.record_id = spoke.record_id
            and spoke.rank_on_record > 1
    where hub.rank_on_record = 1

),

hash_edges as (

    select
        email_nodes.node_id as node_id_from,
        hash_nodes.node_id as node_id_to
    from usable as email_nodes
    inner join usable as hash_nodes
        on email_nodes.email_sha256 = hash_nodes.identifier_value
    where
        email_nodes.identifier_type = 'email'
        and hash_nodes.identifier_type = 'email_sha256'

),

all_edges as (

    select * from record_edges
    union all
    select * from hash_edges

),

final as (

    select distinct
        least(node_id_from, node_id_to) as node_id_a,
        greatest(node_id_from, node_id_to) as node_id_b
    from all_edges

)

select * from final
