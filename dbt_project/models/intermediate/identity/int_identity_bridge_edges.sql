-- One row per (candidate bridge, edge of its suspect cluster without it): for each
-- candidate of int_identity_bridge_links, the cluster's graph rebuilt from its links
-- with the candidate taken out of every link. Each link is starred around its most
-- trusted remaining identifier, so a record keeps holding its other identifiers
-- together (a CRM record without its household email still ties its contact id to its
-- phone). copy_node_id_* number the copies apart (candidate index * stride + node
-- index, both dense ranks: node ids are 63-bit hashes and would overflow), so one
-- connected-components run gives the parts of every copy at once.
with

bridge_links as (

    select * from {{ ref('int_identity_bridge_links') }}

),

candidates as (

    select distinct
        node_id,
        component_id
    from bridge_links
    where is_candidate

),

copy_members as (

    select
        candidates.node_id as candidate_node_id,
        bridge_links.component_id,
        bridge_links.link_source,
        bridge_links.link_id,
        bridge_links.node_id,
        row_number() over (
            partition by candidates.node_id, bridge_links.link_source, bridge_links.link_id
            order by bridge_links.priority, bridge_links.node_id
        ) as rank_on_link
    from candidates
    inner join bridge_links
        on candidates.component_id = bridge_links.component_id
    where bridge_links.node_id <> candidates.node_id

),

copy_edges as (

    select distinct
        hub.candidate_node_id,
        hub.component_id,
        hub.node_id as node_id_a,
        spoke.node_id as node_id_b
    from copy_members as hub
    inner join copy_members as spoke
        on
            hub.candidate_node_id = spoke.candidate_node_id
            and hub.link_source = spoke.link_source
            and hub.link_id = spoke.link_id
            and spoke.rank_on_link > 1
    where hub.rank_on_link = 1

),

-- dense indexes of the examined identifiers and of the candidates among them
node_indexes as (

    select
        node_id,
        dense_rank() over (order by node_id) as node_index
    from (select distinct node_id from bridge_links) as nodes

),

candidate_indexes as (

    select
        node_id,
        dense_rank() over (order by node_id) as candidate_index
    from candidates

),

stride as (

    select count(*) + 1 as stride
    from node_indexes

),

final as (

    select
        copy_edges.candidate_node_id,
        copy_edges.component_id,
        copy_edges.node_id_a,
        copy_edges.node_id_b,
        candidate_indexes.candidate_index * stride.stride + index_a.node_index as copy_node_id_a,
        candidate_indexes.candidate_index * stride.stride + index_b.node_index as copy_node_id_b
    from copy_edges
    inner join candidate_indexes
        on copy_edges.candidate_node_id = candidate_indexes.node_id
    inner join node_indexes as index_a
        on copy_edges.node_id_a = index_a.node_id
    inner join node_indexes as index_b
        on copy_edges.node_id_b = index_b.node_id
    cross join stride

)

select * from final
