-- One row per (customer, journey) the customer has entered (step 1 sent): the latest
-- run of the journey as of as_of. A run starts with step 1's message; its steps are the
-- journey's messages sent since, on any channel. last_step is the furthest step sent,
-- with its engagement judged across every channel it went out on. The run is exited
-- when the journey's exit event (journey_steps.exit_on) happened after it started: a
-- completed order placed after step 1 ('purchase'); a refunded order among those the
-- journey's audience covered ('refund': placed within chorus_audience_recent_purchase_days
-- before step 1).

with

steps as (

    select * from {{ ref('journey_steps') }}

),

journey_exits as (

    select
        journey_id,
        max(exit_on) as exit_on
    from steps
    group by 1

),

step_sends as (

    select
        contacts.customer_id,
        steps.journey_id,
        steps.step,
        contacts.channel,
        contacts.sent_at,
        contacts.opened_at,
        contacts.clicked_at
    from {{ ref('contacts') }} as contacts
    inner join steps
        on contacts.campaign_id = steps.campaign_id
    where contacts.customer_id is not null and contacts.sent_at is not null

),

entries as (

    select
        customer_id,
        journey_id,
        max(sent_at) as entered_at
    from step_sends
    where step = 1
    group by 1, 2

),

run_sends as (

    select step_sends.*
    from step_sends
    inner join entries
        on
            step_sends.customer_id = entries.customer_id
            and step_sends.journey_id = entries.journey_id
            and step_sends.sent_at >= entries.entered_at

),

last_steps as (

    select
        customer_id,
        journey_id,
        max(step) as last_step
    from run_sends
    group by 1, 2

),

-- the last step's messages, on every channel it went out on
last_step_outcomes as (

    select
        run_sends.customer_id,
        run_sends.journey_id,
        max(run_sends.sent_at) as last_sent_at,
        {{ dbt.bool_or('run_sends.opened_at is not null or run_sends.clicked_at is not null') }}
            as last_step_opened,
        {{ dbt.bool_or('run_sends.clicked_at is not null') }} as last_step_clicked,
        -- the channel of its latest message, for a follow-up elsewhere
        max(run_sends.channel) as last_step_channel
    from run_sends
    inner join last_steps
        on
            run_sends.customer_id = last_steps.customer_id
            and run_sends.journey_id = last_steps.journey_id
            and run_sends.step = last_steps.last_step
    group by 1, 2

),

orders as (

    select
        customer_id,
        status,
        ordered_at
    from {{ ref('int_orders_resolved') }}
    where status in ('completed', 'refunded')

),

exits as (

    select
        entries.customer_id,
        entries.journey_id,
        min(orders.ordered_at) as exited_at
    from entries
    inner join journey_exits
        on entries.journey_id = journey_exits.journey_id
    inner join orders
        on entries.customer_id = orders.customer_id
    where
        (
            journey_exits.exit_on = 'purchase'
            and orders.status = 'completed'
            and orders.ordered_at > entries.entered_at
        )
        or (
            journey_exits.exit_on = 'refund'
            and orders.status = 'refunded'
            and orders.ordered_at > {{ dbt.dateadd(
                'day', -var('chorus_audience_recent_purchase_days'), 'entries.entered_at'
            ) }}
        )
    group by 1, 2

),

purchases_after as (

    select
        last_step_outcomes.customer_id,
        last_step_outcomes.journey_id,
        count(orders.ordered_at) > 0 as purchased_since_last_step
    from last_step_outcomes
    left join orders
        on
            last_step_outcomes.customer_id = orders.customer_id
            and orders.status = 'completed'
            and last_step_outcomes.last_sent_at < orders.ordered_at
    group by 1, 2

),

final as (

    select
        entries.customer_id,
        entries.journey_id,
        entries.entered_at,
        last_steps.last_step,
        last_step_outcomes.last_sent_at,
        last_step_outcomes.last_step_channel,
        last_step_outcomes.last_step_opened,
        last_step_outcomes.last_step_clicked,
        purchases_after.purchased_since_last_step,
        exits.exited_at,
        exits.exited_at is not null as is_exited
    from entries
    inner join last_steps
        on
            entries.customer_id = last_steps.customer_id
            and entries.journey_id = last_steps.journey_id
    inner join last_step_outcomes
        on
            entries.customer_id = last_step_outcomes.customer_id
            and entries.journey_id = last_step_outcomes.journey_id
    inner join purchases_after
        on
            entries.customer_id = purchases_after.customer_id
            and entries.journey_id = purchases_after.journey_id
    left join exits
        on entries.customer_id = exits.customer_id and entries.journey_id = exits.journey_id

)

select * from final
