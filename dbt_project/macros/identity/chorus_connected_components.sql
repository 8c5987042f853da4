{#-
    Connected components of an undirected graph, in SQL that runs on DuckDB, PostgreSQL
    and Spark. Returns, for every node of `edges`, a component_id: the smallest node id
    among the component's nodes with two or more neighbours (for a component of two
    nodes, the smaller one).

    1. Leaves (one neighbour) are set aside: they cannot carry a label between other
       nodes, and they are about half of an identity graph (a cookie or CRM record seen
       with one account). The rounds run on the rest, the core.
    2. Rounds (chorus_cc_round_ctes), each one CREATE TABLE AS: every node takes the
       smallest label among itself and its neighbours (hook), each label's own node
       adopts the smallest label any node pointing at it saw (so whole trees move at
       once), then every node takes its label's label (pointer jumping). The rounds
       needed grow with the log of a component's diameter, not its size: a chain of 2^14
       nodes converges in 14 rounds, identity clusters in about 3. Before each round a
       check counts core edges whose ends disagree (chorus_cc_discordant_edges); none
       proves convergence. More than `max_rounds` fails the run loudly instead of
       returning a partial answer.
    3. Each leaf takes its neighbour's label.

    Returns a dict:
      sql     a select of (node_id, component_id), to use as a CTE body;
      rounds  the rounds run (none when not iterated).
    It iterates only when the invocation builds (chorus_is_building). For unit tests,
    compile, docs and sqlfluff, whose SQL must stand alone, `sql` is the same steps with
    `unrolled_rounds` rounds unrolled into CTEs (var chorus_identity_unrolled_rounds:
    enough for the test fixtures, few because Spark inlines CTEs and each round holds 4
    copies of the one before, see chorus_cc_round_ctes): unit tests
    check the round SQL itself; tests/integration/test_identity.py checks the iteration
    against networkx.

    edges: a relation (a fixture CTE in unit tests) with the endpoint columns node_a
    and node_b, integers; each undirected edge once is enough (both directions are
    read); self-loops and nulls are ignored. `where`: optional filter on its rows, so one
    table can hold several graphs. Nodes on no edge are not returned: callers give them
    their own id.

    Work tables are named after `work` (a relation, default `this`):
    <name>__cc_degrees, __cc_core, __cc_labels_0, __cc_labels_1. Drop them once the
    model is built: post_hook chorus_connected_components_drop().
-#}
{% macro chorus_connected_components(
    edges,
    node_a='node_id_a',
    node_b='node_id_b',
    where=none,
    work=none,
    max_rounds=none,
    unrolled_rounds=none
) -%}
    {%- set max_rounds = (max_rounds or var('chorus_identity_max_rounds', 64)) | int -%}
    {%- set unrolled_rounds = (unrolled_rounds or var('chorus_identity_unrolled_rounds', 2)) | int -%}
    {%- set edges_name = edges | string -%}
    {%- set edges_sql = chorus_cc_edges_sql(edges, node_a, node_b, where) -%}
    {%- if not chorus_is_building() -%}
        {{ return({'sql': chorus_cc_unrolled_sql(edges_sql, unrolled_rounds), 'rounds': none}) }}
    {%- endif -%}

    {%- set work = work if work is not none else this -%}
    {%- set degrees = chorus_cc_work_relation(work, 'degrees') -%}
    {%- set core = chorus_cc_work_relation(work, 'core') -%}
    {%- set labels = [chorus_cc_work_relation(work, 'labels_0'), chorus_cc_work_relation(work, 'labels_1')] -%}
    {%- for relation in [degrees, core] + labels -%}
        {%- do adapter.drop_relation(relation) -%}
    {%- endfor -%}

    {%- call statement('chorus_cc_degrees') -%}
        {{ get_create_table_as_sql(False, degrees, chorus_cc_degrees_sql(edges_sql)) }}
    {%- endcall -%}
    {%- call statement('chorus_cc_core') -%}
        {{ get_create_table_as_sql(False, core, chorus_cc_core_sql(edges_sql, degrees)) }}
    {%- endcall -%}
    {%- call statement('chorus_cc_init') -%}
        {{ get_create_table_as_sql(False, labels[0], chorus_cc_initial_labels_sql(degrees)) }}
    {%- endcall -%}
    {%- set state = namespace(current=0, rounds=0, converged=false) -%}

    {%- for round in range(max_rounds + 1) -%}
        {#- converged once no core edge joins two labels (see chorus_cc_discordant_edges) -#}
        {%- if chorus_cc_discordant_edges(core, labels[state.current]) == 0 -%}
            {%- set state.converged = true -%}
            {%- break -%}
        {%- endif -%}
        {%- if round == max_rounds -%}
            {%- break -%}
        {%- endif -%}
        {%- set source = labels[state.current] -%}
        {%- set target = labels[1 - state.current] -%}
        {%- do adapter.drop_relation(target) -%}
        {%- call statement('chorus_cc_round') -%}
            {{ get_create_table_as_sql(False, target, chorus_cc_round_sql(core, degrees, source)) }}
        {%- endcall -%}
        {%- set state.current = 1 - state.current -%}
        {%- set state.rounds = round + 1 -%}
    {%- endfor -%}

    {%- if not state.converged -%}
        {{ exceptions.raise_compiler_error(
            "chorus_connected_components: " ~ edges_name ~ " did not converge in " ~ max_rounds
            ~ " rounds (var chorus_identity_max_rounds). Rounds grow with log2 of a cluster's"
            ~ " diameter, so this means a pathological graph: look for an identifier"
            ~ " chaining thousands of others and block it in identity_rules."
        ) }}
    {%- endif -%}
    {%- do log("chorus_connected_components: " ~ edges_name ~ " converged in " ~ state.rounds ~ " rounds", info=true) -%}
    {{ return({
        'sql': chorus_cc_attach_leaves_sql(edges_sql, degrees, labels[state.current]),
        'rounds': state.rounds,
    }) }}
{%- endmacro %}


{% macro chorus_cc_work_relation(work, suffix) -%}
    {{ return(api.Relation.create(
        database=work.database, schema=work.schema,
        identifier=work.identifier ~ '__cc_' ~ suffix, type='table'
    )) }}
{%- endmacro %}


{#-
    Core edges whose two ends carry different labels. None left proves convergence, to
    the right answer: the ends of every core edge agree, so a connected core shares one
    label; labels only ever take the ids of the component's own nodes and never
    increase, so the smallest node kept its own id, and that is the shared label. This
    check (two joins) replaces running a last round that changes nothing.
-#}
{% macro chorus_cc_discordant_edges(core, labels) -%}
    {%- set result = run_query(
        'select count(*) as discordant from ' ~ core ~ ' as core'
        ~ ' inner join ' ~ labels ~ ' as labels_a on core.node_id_a = labels_a.node_id'
        ~ ' inner join ' ~ labels ~ ' as labels_b on core.node_id_b = labels_b.node_id'
        ~ ' where labels_a.label <> labels_b.label'
    ) -%}
    {{ return(result.columns[0].values()[0] | int) }}
{%- endmacro %}


{#- The edges as a derived table with columns node_id_a, node_id_b. -#}
{% macro chorus_cc_edges_sql(edges, node_a, node_b, where) -%}
    (
        select
            {{ node_a }} as node_id_a,
            {{ node_b }} as node_id_b
        from {{ edges }}
        where
            {{ node_a }} is not null
            and {{ node_b }} is not null
            and {{ node_a }} <> {{ node_b }}
            {%- if where %}
            and ({{ where }})
            {%- endif %}
    )
{%- endmacro %}


{% macro chorus_cc_degrees_sql(edges_sql) -%}
    select
        endpoints.node_id,
        count(*) as degree
    from (
        select node_id_a as node_id from {{ edges_sql }} as edges
        union all
        select node_id_b as node_id from {{ edges_sql }} as edges
    ) as endpoints
    group by endpoints.node_id
{%- endmacro %}


{#- Edges between two nodes that both have another neighbour. -#}
{% macro chorus_cc_core_sql(edges_sql, degrees) -%}
    select
        edges.node_id_a,
        edges.node_id_b
    from {{ edges_sql }} as edges
    inner join {{ degrees }} as degrees_a
        on edges.node_id_a = degrees_a.node_id
    inner join {{ degrees }} as degrees_b
        on edges.node_id_b = degrees_b.node_id
    where degrees_a.degree > 1 and degrees_b.degree > 1
{%- endmacro %}


{#- Every core node starts as its own label (a star's centre has no core edge). -#}
{% macro chorus_cc_initial_labels_sql(degrees) -%}
    select
        node_id,
        node_id as label
    from {{ degrees }}
    where degree > 1
{%- endmacro %}


{#- One round as a standalone select (iterated mode). -#}
{% macro chorus_cc_round_sql(core, degrees, labels) -%}
    with
    {{ chorus_cc_round_ctes(core, degrees, labels, 'cc_round') }}
    select node_id, label from cc_round
{%- endmacro %}


{#-
    One round as CTEs named <prefix>_*, the last one named <prefix>: (node_id, label).
    Plain joins and aggregates: least() and min() exist on every target engine.

    Each CTE reads the one before it as few times as it can: Spark inlines every CTE,
    so a round that reads the previous round k times holds k copies of it, and the
    unrolled form (unit tests) grows as k^rounds. The hook reads the labels once (a node
    paired with itself and with each core neighbour, one join), the adoption and the
    pointer jump twice each: k = 4.
-#}
{% macro chorus_cc_round_ctes(core, degrees, labels, prefix) -%}
    {{ prefix }}_hooked as (
        -- the smallest label among the node's own and its core neighbours'
        select
            pairs.node_id,
            min(case when pairs.node_id = pairs.other_node_id then labels.label end) as previous_label,
            min(labels.label) as label
        from (
            select
                node_id_a as node_id,
                node_id_b as other_node_id
            from {{ core }}
            union all
            select
                node_id_b as node_id,
                node_id_a as other_node_id
            from {{ core }}
            union all
            select
                node_id,
                node_id as other_node_id
            from {{ degrees }}
            where degree > 1
        ) as pairs
        inner join {{ labels }} as labels
            on pairs.other_node_id = labels.node_id
        group by pairs.node_id
    ),

    {{ prefix }}_root_min as (
        -- each label's own node adopts the smallest label any node pointing at it saw
        select
            previous_label as node_id,
            min(label) as label
        from {{ prefix }}_hooked
        group by previous_label
    ),

    {{ prefix }}_combined as (
        select
            hooked.node_id,
            least(hooked.label, coalesce(root_min.label, hooked.label)) as label
        from {{ prefix }}_hooked as hooked
        left join {{ prefix }}_root_min as root_min
            on hooked.node_id = root_min.node_id
    ),

    {{ prefix }} as (
        -- pointer jump: take the label of your label
        select
            combined.node_id,
            least(combined.label, coalesce(parent.label, combined.label)) as label
        from {{ prefix }}_combined as combined
        left join {{ prefix }}_combined as parent
            on combined.label = parent.node_id
    )
{%- endmacro %}


{#- Core labels, plus every leaf with its neighbour's label (two leaves: the smaller). -#}
{% macro chorus_cc_attach_leaves_sql(edges_sql, degrees, labels) -%}
    select
        labels.node_id,
        labels.label as component_id
    from {{ labels }} as labels
    union all
    select
        leaves.node_id,
        coalesce(labels.label, least(leaves.node_id, ends.other_node_id)) as component_id
    from {{ degrees }} as leaves
    inner join (
        select
            node_id_a as node_id,
            node_id_b as other_node_id
        from {{ edges_sql }} as edges
        union all
        select
            node_id_b as node_id,
            node_id_a as other_node_id
        from {{ edges_sql }} as edges
    ) as ends
        on leaves.node_id = ends.node_id
    left join {{ labels }} as labels
        on ends.other_node_id = labels.node_id
    where leaves.degree = 1
{%- endmacro %}


{#- The same steps in one select, rounds unrolled (unit tests, compile, lint). -#}
{% macro chorus_cc_unrolled_sql(edges_sql, rounds) -%}
    with
    cc_degrees as (
        {{ chorus_cc_degrees_sql(edges_sql) }}
    ),
    cc_core as (
        {{ chorus_cc_core_sql(edges_sql, 'cc_degrees') }}
    ),
    cc_round_0 as (
        {{ chorus_cc_initial_labels_sql('cc_degrees') }}
    ),
    {% for round in range(1, rounds + 1) -%}
    {{ chorus_cc_round_ctes('cc_core', 'cc_degrees', 'cc_round_' ~ (round - 1), 'cc_round_' ~ round) }},
    {% endfor -%}
    cc_result as (
        {{ chorus_cc_attach_leaves_sql(edges_sql, 'cc_degrees', 'cc_round_' ~ rounds) }}
    )
    select node_id, component_id from cc_result
{%- endmacro %}


{#-
    Post-hook of a model that called chorus_connected_components: drops its work tables
    once the model's own table holds the result. Runs its statements itself and renders
    nothing, so the hook is empty SQL.
-#}
{% macro chorus_connected_components_drop(work=none) -%}
    {%- if execute -%}
        {%- set work = work if work is not none else this -%}
        {%- for suffix in ['degrees', 'core', 'labels_0', 'labels_1'] -%}
            {%- do adapter.drop_relation(chorus_cc_work_relation(work, suffix)) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
