using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Foobar.Data.EntityConfigurations;

internal sealed class MessageEntityTypeConfiguration : IEntityTypeConfiguration<Message>
{
    public const int AuthorMaxLength = 40;
    public const int TextMaxLength = 500;
    public const int IdempotencyKeyMaxLength = 100;

    public void Configure(EntityTypeBuilder<Message> builder)
    {
        builder.ToTable("messages");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.Id).HasColumnName("id").UseIdentityAlwaysColumn();
        builder.Property(m => m.Author).HasColumnName("author").HasMaxLength(AuthorMaxLength).IsRequired();
        builder.Property(m => m.Text).HasColumnName("text").HasMaxLength(TextMaxLength).IsRequired();
        builder.Property(m => m.CreatedAt).HasColumnName("created_at").HasDefaultValueSql("now()");
        builder.Property(m => m.Likes).HasColumnName("likes").HasDefaultValue(0);
        builder.Property(m => m.CreatedBy).HasColumnName("created_by").HasMaxLength(63).IsRequired();
        builder.Property(m => m.IdempotencyKey).HasColumnName("idempotency_key").HasMaxLength(IdempotencyKeyMaxLength);

        // Unique only when present: this index is what makes a retried POST safe across app servers.
        builder.HasIndex(m => m.IdempotencyKey).IsUnique().HasFilter("idempotency_key IS NOT NULL")
            .HasDatabaseName("ix_messages_idempotency_key");
        builder.ToTable(t => t.HasCheckConstraint("ck_messages_likes_nonnegative", "likes >= 0"));
    }
}
