-- One row per undirected edge of the identity graph (node_id_a < node_id_b): two usable
-- identifiers (neither junk nor shared) seen on the same record, or an email and its
-- SHA-256 seen in ad data. Each record links its identifiers to the record's most
-- trusted one (a star, lowest identity_rules priority, then lowest node_id): the same
-- connectivity as linking every pair, with k-1 edges per record instead of k(k-1)/2.
--
-- Batched (macros/identity/chorus_identity_batch.sql). An edge changes only around a
-- node on a record that appeared or disappeared, or a node that became usable or
-- unusable: those nodes, every node sharing a record with them (a record's star may
-- move to another hub) and the email or hash paired with any of them are the region;
-- its edges are rebuilt from all records that hold a region node.
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    chorus_identity_batched=true,
    post_hook=[
        "{{ chorus_identity_replace_region(
            'node_id_a in (select node_id from {region}) or node_id_b in (select node_id from {region})'
        ) }}",
        "{{ chorus_identity_progress() }}",
    ],
) }}

{% set batch = chorus_identity_batch() %}
{% set records_region = chorus_identity_region_relation(ref('int_identity_records')) %}
{% set region = chorus_identity_region(
    "with changed_records as (select * from " ~ records_region
    ~ " where change in ('new', 'removed')),"
    ~ " changed_nodes as ("
    ~ " select node_id from (" ~ chorus_identity_unpivot('changed_records', ['record_id']) ~ ") as unpivoted"
    ~ " union"
    ~ " select node_id from " ~ ref('int_identity_identifiers')
    ~ " where changed_batch_id = " ~ batch['batch_id'] ~ "),"
    ~ " affected_records as ("
    ~ " select record_id from " ~ ref('int_identity_record_identifiers')
    ~ " where node_id in (select node_id from changed_nodes)),"
    ~ " affected as ("
    ~ " select node_id from changed_nodes"
    ~ " union"
    ~ " select node_id from " ~ ref('int_identity_record_identifiers')
    ~ " where record_id in (select record_id from affected_records)),"
    ~ " emails as ("
    ~ " select node_id, " ~ chorus_node_id("'email_sha256'", 'email_sha256') ~ " as hash_node_id"
    ~ " from " ~ ref('int_identity_identifiers') ~ " where identifier_type = 'email')"
    ~ " select node_id from affected"
    ~ " union select hash_node_id from emails where node_id in (select node_id from affected)"
    ~ " union select node_id from emails where hash_node_id in (select node_id from affected)"
) %}

with

record_identifiers as (

    select * from {{ ref('int_identity_record_identifiers') }}
    {% if region is not none -%}
        -- the records holding a region node
        where record_id in (
            select record_id from {{ ref('int_identity_record_identifiers') }}
            where node_id in (select node_id from {{ region }})
        )
    {%- endif %}

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

-- the hash's node id follows from the email (chorus_node_id): an integer join
hash_edges as (

    select
        email_nodes.node_id as node_id_from,
        hash_nodes.node_id as node_id_to
    from usable as email_nodes
    inner join usable as hash_nodes
        on {{ chorus_node_id("'email_sha256'", 'email_nodes.email_sha256') }} = hash_nodes.node_id
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
        greatest(node_id_from, node_id_to) as node_id_b,
        {{ batch['batch_id'] }} as batch_id
    from all_edges
    {% if region is not none -%}
        where
            node_id_from in (select node_id from {{ region }})
            or node_id_to in (select node_id from {{ region }})
    {%- endif %}

)

select * from final
