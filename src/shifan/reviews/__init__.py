"""Review of submitted applications: the city's recommendation (地市推荐) and the province's formal
review (形式审查 / 受理). Expert review comes here too."""
