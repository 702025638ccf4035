using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Foobar.Data.EntityConfigurations;

internal sealed class LikeReceiptEntityTypeConfiguration : IEntityTypeConfiguration<LikeReceipt>
{
    public void Configure(EntityTypeBuilder<LikeReceipt> builder)
    {
        builder.ToTable("like_receipts");
        builder.HasKey(r => r.IdempotencyKey);
        builder.Property(r => r.IdempotencyKey).HasColumnName("idempotency_key").HasMaxLength(MessageEntityTypeConfiguration.IdempotencyKeyMaxLength);
        builder.Property(r => r.MessageId).HasColumnName("message_id");
        builder.Property(r => r.CreatedAt).HasColumnName("created_at").HasDefaultValueSql("now()");
        builder.HasOne<Message>().WithMany().HasForeignKey(r => r.MessageId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(r => r.MessageId).HasDatabaseName("ix_like_receipts_message_id");
    }
}
