{#- Incremental models (the nightly run): landing is append-only and the loader numbers files in
    load order (landing.load_manifest.file_id), so what arrived since a model's last build is
    the rows of files newer than the newest file the model has taken in. A file seen twice
    (e.g. a late delivery that loses to a newer extract) is only work done twice, never a wrong
    row, so the newest file a model kept is a safe watermark. Plain SQL: portable as is. -#}

{#- The newest file id `relation` has taken in (-1 when empty): a scalar subquery. -#}
{% macro newest_file_id(relation, column='file_id') -%}
    (select coalesce(max({{ column }}), -1) from {{ relation }})
{%- endmacro %}


{#- A landing table's rows: all of them on a full build, those of newly loaded files on an
    incremental one. -#}
{% macro landing_rows(table) -%}
    select * from {{ source('landing', table) }}
    {% if is_incremental() -%}
    where file_id > {{ wmin.newest_file_id(this) }}
    {%- endif %}
{%- endmacro %}


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


{#- The condition `alias.column in (values)` on `relation`, for a few of its rows. On DuckDB the
    matching row ids are found first, scanning `column` alone, then only those rows are read:
    filtered on the column, the scan decompressed every other column it reads for the whole
    table (reading every column of a 39 M-row table to keep 0.3% of it took twice as long; the
    patients of 60 k changed exams in a 5 M-row table, 0.37 s against 0.06 s). -#}
{% macro matching_rows(relation, alias, column, values) -%}
    {{ return(adapter.dispatch('matching_rows', 'wmin')(relation, alias, column, values)) }}
{%- endmacro %}

{% macro default__matching_rows(relation, alias, column, values) -%}
    {{ alias }}.{{ column }} in ({{ values }})
{%- endmacro %}

{% macro duckdb__matching_rows(relation, alias, column, values) -%}
    {{ alias }}.rowid in (
        select matched.rowid from {{ relation }} as matched
        where matched.{{ column }} in ({{ values }})
    )
{%- endmacro %}


{#- A staging key (a list of columns) as one number, to find rows by: DuckDB's 64-bit hash;
    elsewhere the md5 text of the joined key (slower, same use). Never an identity on its own:
    two keys may share a hash (see latest_delivery_candidates). -#}
{% macro key_hash(columns) -%}
    {{ return(adapter.dispatch('key_hash', 'wmin')(columns)) }}
{%- endmacro %}

{% macro default__key_hash(columns) -%}
    {{ dbt.hash(dbt.concat(wmin.key_hash_parts(columns))) }}
{%- endmacro %}

{% macro key_hash_parts(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- if not loop.first %}{% do parts.append("'|'") %}{% endif -%}
        {%- do parts.append(column) -%}
    {%- endfor -%}
    {{ return(parts) }}
{%- endmacro %}

{% macro duckdb__key_hash(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{% macro key_hash_type() -%}
    {{ return(adapter.dispatch('key_hash_type', 'wmin')()) }}
{%- endmacro %}

{% macro default__key_hash_type() -%}{{ dbt.type_string() }}{%- endmacro %}

{% macro duckdb__key_hash_type() -%}ubigint{%- endmacro %}


{#- Pre-hook of the staging models: a table built before it had key_hash gets the column, filled
    for every row, before the incremental run looks rows up by it (once; then a no-op). -#}
{% macro backfill_key_hash(relation, key_columns) -%}
    {{ wmin.backfill_hash(relation, 'key_hash', key_columns) }}
{%- endmacro %}

{#- The same for any hash column of key_columns (e.g. exam_hash). -#}
{% macro backfill_hash(relation, hash_column, key_columns) -%}
    {%- if is_incremental() and wmin.lacks_column(relation, hash_column) -%}
    alter table {{ relation }} add column {{ hash_column }} {{ wmin.key_hash_type() }};
    update {{ relation }} set {{ hash_column }} = {{ wmin.key_hash(key_columns) }}
    {%- endif -%}
{%- endmacro %}

{% macro lacks_column(relation, column_name) -%}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- if column.name | lower == column_name -%}{{ return(false) }}{%- endif -%}
    {%- endfor -%}
    {{ return(true) }}
{%- endmacro %}


{#- What an exam-keyed model was last built from: the newest file id of its `file_column` and the
    as-of date its rows are right for (stamp_as_of_end records it in build_state.model_as_of).
    Read when the model compiles, so that its pre-hook and its query see the same values. -#}
{% macro exam_build_state(relation, file_column) -%}
    {%- set state = {'file_id': -1, 'as_of_date': none} -%}
    {#- built_as_of_end is the local midnight after the as-of day: the as-of date is the day
        before its local date (taking its own date put the previous end a day late, so the
        window of changed_exams missed the events of the new as-of day in older files) -#}
    {#- a table built before it carried these columns (e.g. first run after a mart became
        incremental) is rebuilt whole: every exam counts as changed -#}
    {%- set have = [] -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do have.append(column.name | lower) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if execute and file_column | lower in have -%}
        {#- the recorded as-of end; a table built before it was recorded had it on every row -#}
        {%- set as_of_end -%}
        coalesce(
            (select max(built_as_of_end) from {{ wmin.model_as_of() }}
             where model_name = '{{ wmin.model_state_name(relation) }}')
            {%- if 'built_as_of_end' in have %},
            (select max(built_as_of_end) from {{ relation }})
            {%- endif %})
        {%- endset -%}
        {%- set row = run_query(
            'select coalesce(max(' ~ file_column ~ '), -1), '
            ~ 'cast(' ~ dbt.dateadd('day', -1, 'cast(' ~ wmin.local_timestamp(as_of_end) ~ ' as date)')
            ~ ' as date) from ' ~ relation
        ).rows[0] -%}
        {#- no as-of known: the model is rebuilt whole -#}
        {%- if row[1] is not none -%}
        {%- do state.update({'file_id': row[0], 'as_of_date': row[1]}) -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(state) }}
{%- endmacro %}


{#- The exams (trust_code, accession) whose row built from files up to `state.file_id` and as of
    `state.as_of_date` may differ now: a record (with `records`) or an event in a newer file, an
    event withdrawn by a newer file, or an event between the previous and the current as-of end
    (its view depends on the as-of date, in either direction). -#}
{% macro changed_exams(state, records=true) -%}
    {%- if records %}
    select trust_code, accession
    from {{ ref('stg_landing__exam_records') }}
    where file_id > {{ state.file_id }}
    union
    {% endif -%}
    select trust_code, accession
    from {{ ref('stg_landing__exam_events') }}
    where file_id > {{ state.file_id }}
        or withdrawn_by_file_id > {{ state.file_id }}
    {%- if state.as_of_date is not none %}
        or {{ wmin.between_as_of_ends(state.as_of_date) }}
    {%- endif %}
{%- endmacro %}


{#- An event between the end of the previous as-of date and the end of the current one (either
    way round): its exam's view changed with the as-of date. -#}
{% macro between_as_of_ends(previous_as_of_date, column='event_at') -%}
    {%- set previous_end = wmin.local_midnight(dbt.dateadd('day', 1, "cast('" ~ previous_as_of_date ~ "' as date)")) -%}
    ({{ column }} >= least({{ previous_end }}, {{ wmin.as_of_end() }})
        and {{ column }} < greatest({{ previous_end }}, {{ wmin.as_of_end() }}))
{%- endmacro %}


{#- Pre-hook of an exam-keyed model built with the append strategy: remove the rows of the
    changed exams first, so an exam that no longer has a row (all its events now after the
    as-of end) loses the old one; delete+insert would only replace the exams it inserts.
    A table built before it had exam_hash gets the column first (once). -#}
{% macro delete_changed_exams(relation, file_column, records=true) -%}
    {%- if is_incremental() -%}
    {{ wmin.backfill_hash(relation, 'exam_hash', ['trust_code', 'accession']) }}
    {{- ';' if wmin.lacks_column(relation, 'exam_hash') }}
    {{ wmin.record_changed_exams(relation, file_column, records) }};
    delete from {{ relation }} as built
    {{ wmin.only_changed_exams('built') }}
    {%- endif -%}
{%- endmacro %}


{#- Pre-hook of every exam-keyed incremental model: the hashes of its changed exams, kept in
    build_state.changed_exams for its delete and its query. A table the planner can size: the
    same filter on a subquery made DuckDB hash the big side (0.17 s against 0.03 s on 5 M rows). -#}
{% macro record_changed_exams(relation, file_column, records=true) -%}
    {%- if is_incremental() -%}
    delete from {{ wmin.changed_exams_table() }} where model_name = '{{ wmin.model_state_name(relation) }}';
    insert into {{ wmin.changed_exams_table() }} (model_name, exam_hash)
    select '{{ wmin.model_state_name(relation) }}', changed.exam_hash
    from ({{ wmin.changed_exam_hashes(wmin.exam_build_state(relation, file_column), records) }}) as changed
    {%- endif -%}
{%- endmacro %}

{% macro changed_exams_table() -%}
    {{ wmin.build_state_schema() }}.changed_exams
{%- endmacro %}


{#- On an incremental run, the filter that keeps only the changed exams' rows of `alias`
    (a relation with the exam hash in `hash_column`); nothing on a full build. The model's
    pre-hook recorded them (record_changed_exams).
    By hash, not by trust and accession: a number compared over millions of rows instead of
    two strings (4-6x faster on a network year). Every row whose exam shares a changed exam's
    hash is taken: a model deletes and rebuilds all of them alike (same filter on its own table
    in delete_changed_exams), so an unchanged exam that shares a hash is rebuilt unchanged.
    Reading another model's rows, name it as `relation` (`alias` is then its alias in the
    from clause): its few matching rows are found first (matching_rows; 0.66 s against 0.17 s
    for fct_exams' read of int_exams_enriched on a network year). -#}
{% macro only_changed_exams(alias, hash_column='exam_hash', relation=none) -%}
    {%- if is_incremental() -%}
    where {% if relation is none -%}
        {{ alias }}.{{ hash_column }} in ({{ wmin.changed_exam_hashes_of(this) }})
    {%- else -%}
        {{ wmin.matching_rows(relation, alias, hash_column, wmin.changed_exam_hashes_of(this)) }}
    {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- The exam hashes `relation`'s pre-hook recorded as changed. -#}
{% macro changed_exam_hashes_of(relation) -%}
    select exam_hash from {{ wmin.changed_exams_table() }}
    where model_name = '{{ wmin.model_state_name(relation) }}'
{%- endmacro %}


{#- The exam hashes of changed_exams (see only_changed_exams). -#}
{% macro changed_exam_hashes(state, records=true) -%}
    select {{ wmin.exam_hash('changed.trust_code', 'changed.accession') }} as exam_hash
    from ({{ wmin.changed_exams(state, records) }}) as changed
{%- endmacro %}


{#- An exam (trust + accession) as one number: the staging records' key_hash. Never an
    identity on its own (see only_changed_exams). -#}
{% macro exam_hash(trust_code='trust_code', accession='accession') -%}
    {{ wmin.key_hash([trust_code, accession]) }}
{%- endmacro %}


{#- Post-hook of a model whose rows are not one per exam (only failing exams have rows): every
    row records the newest file staging had taken in when it was built, so the model's
    watermark (exam_build_state) is that file even when no row of a newer file was made. -#}
{% macro stamp_newest_file(relation, file_column='source_file_id') -%}
    {%- set newest = wmin.newest_staged_file() -%}
    update {{ relation }}
    set {{ file_column }} = {{ newest }}
    where {{ file_column }} is distinct from {{ newest }}
{%- endmacro %}

{#- The newest file staging has taken in (records or events): a scalar subquery. -#}
{% macro newest_staged_file() -%}
    (select max(file_id) from (
        select max(file_id) as file_id from {{ ref('stg_landing__exam_records') }}
        union all
        select max(file_id) from {{ ref('stg_landing__exam_events') }}
    ) as staged)
{%- endmacro %}


{#- An exam's published key: the hash of trust and accession (one definition for every model). -#}
{% macro exam_key(trust_code, accession) -%}
    cast({{ dbt.hash(dbt.concat([trust_code, "'|'", accession])) }} as {{ dbt.type_string() }})
{%- endmacro %}
