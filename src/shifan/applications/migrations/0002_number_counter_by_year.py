from django.db import migrations, models


def counters_by_year(apps, schema_editor):
    """Merge the per-batch counters of one year into one, keeping the highest number given."""
    NumberCounter = apps.get_model("applications", "NumberCounter")
    seen = {}
    for counter in NumberCounter.objects.select_related("batch").order_by("pk"):
        key = (counter.batch.application_year, counter.category)
        if key in seen:
            kept = seen[key]
            kept.last = max(kept.last, counter.last)
            kept.save(update_fields=["last"])
            counter.delete()
        else:
            counter.year = counter.batch.application_year
            counter.save(update_fields=["year"])
            seen[key] = counter


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0001_initial"),
        ("programs", "0002_review_settings"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="numbercounter", name="one_counter_per_category"),
        migrations.AddField(
            model_name="numbercounter", name="year", field=models.PositiveIntegerField(default=0)
        ),
        migrations.RunPython(counters_by_year, migrations.RunPython.noop),
        migrations.RemoveField(model_name="numbercounter", name="batch"),
        migrations.AlterField(model_name="numbercounter", name="year", field=models.PositiveIntegerField()),
        migrations.AddConstraint(
            model_name="numbercounter",
            constraint=models.UniqueConstraint(
                fields=("year", "category"), name="one_counter_per_year_and_category"
            ),
        ),
    ]
