{#- Latest delivery wins, incrementally. `new_rows` (a CTE) holds the landing rows of files
    newer than this model's watermark; in an incremental run the rows this model kept for their
    keys join them, so ranking the union gives the same winner as ranking every delivery (the
    kept row is the winner of all older deliveries). A full build ranks `new_rows` alone, which
    is then every landing row. Kept rows are found by `key_hash` (the key as one number, see
    key_hash): every kept row whose hash a new row has, so also a different key that happens to
    share the hash; it is ranked in its own partition (the rank is by the key itself) and wins
    it. The delete+insert strategy, keyed on key_hash, then deletes exactly the kept rows taken
    here and inserts each key's winner: exact, collision or not, and it compares numbers, not
    strings, over the whole table (3-8x faster on a network year's 39 M events). -#}

{#- `derived` names the columns the model computes after ranking (not in `new_rows`). With
    `kept_exams` (a query of exam hashes), the kept rows taken are every row of those exams
    (by exam_hash) rather than those of the new rows' keys: for a model whose rows are judged
    against the other rows of their exam (stg_landing__exam_events' withdrawals). -#}
{% macro latest_delivery_candidates(new_rows, backfilled=[], derived=['delivery_rank'], kept_exams=none) -%}
    {%- if is_incremental() -%}
    {%- set columns = [] -%}
    {%- for column in adapter.get_columns_in_relation(this) -%}
        {%- if column.name | lower not in derived -%}
            {%- do columns.append(adapter.quote(column.name)) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- a hash column the pre-hook adds (backfill_hash) is not there yet when this compiles -#}
    {%- for name in backfilled if adapter.quote(name) not in columns -%}
        {%- do columns.append(adapter.quote(name)) -%}
    {%- endfor -%}
    select {{ columns | join(', ') }} from {{ new_rows }}
    union all
    select {{ columns | join(', ') }}
    from {{ this }} as kept
    where {% if kept_exams is none -%}
        {{ wmin.kept_rows_of(new_rows) }}
    {%- else -%}
        {{ wmin.matching_rows(this, 'kept', 'exam_hash', kept_exams) }}
    {%- endif %}
    {%- else -%}
    select * from {{ new_rows }}
    {%- endif -%}
{%- endmacro %}

{#- The condition on `kept` (this model's table) that selects the rows whose key_hash a row of
    `new_rows` has. -#}
{% macro kept_rows_of(new_rows) -%}
    {{ wmin.matching_rows(this, 'kept', 'key_hash', 'select arrived.key_hash from ' ~ new_rows ~ ' as arrived') }}
{%- endmacro %}
