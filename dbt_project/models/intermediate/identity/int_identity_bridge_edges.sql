-- One row per (candidate bridge, edge of its suspect cluster without it): for each
-- candidate of int_identity_bridge_links, the cluster's graph rebuilt from its links
-- with the candidate taken out of every link. Each link is starred around its most
-- trusted remaining identifier, so a record keeps holding its other identifiers
-- together (a CRM record without its household email still ties its contact id to its
-- phone). copy_node_id_* number the copies apart (candidate * stride + node), so one
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

stride as (

    select max(node_id) + 1 as stride
    from bridge_links

),

final as (

    select
        copy_edges.candidate_node_id,
        copy_edges.component_id,
        copy_edges.node_id_a,
        copy_edges.node_id_b,
        copy_edges.candidate_node_id * stride.stride + copy_edges.node_id_a as copy_node_id_a,
        copy_edges.candidate_node_id * stride.stride + copy_edges.node_id_b as copy_node_id_b
    from copy_edges
    cross join stride

)

select * from final
